# gi.repository.Secret exists only at run time (PyGObject makes it from the typelib), so
# PyInstaller's module graph marks it missing and skips its hook; declaring it a run-time
# module lets ../hook-gi.repository.Secret.py run, as PyInstaller does for its own gi hooks.


def pre_safe_import_module(api):
    api.add_runtime_module(api.module_name)
