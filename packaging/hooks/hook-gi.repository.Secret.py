# PyInstaller hook for libsecret's GObject bindings, which keyring's libsecret backend
# imports (`gi.require_version("Secret", "1")`; `from gi.repository import Secret`).
# pyinstaller-hooks-contrib has none, so without this the bundle would ship neither
# Secret-1.typelib nor libsecret-1.so.0 and keyring would fall back to no keyring.
# The bundle uses this backend instead of SecretStorage, which would bring cryptography
# (11 MB); libsecret does the Secret Service's session encryption itself.
from PyInstaller.utils.hooks.gi import GiModuleInfo


def hook(hook_api):
    module_info = GiModuleInfo("Secret", "1")
    if not module_info.available:
        return
    binaries, datas, hiddenimports = module_info.collect_typelib_data()
    hook_api.add_datas(datas)
    hook_api.add_binaries(binaries)
    hook_api.add_imports(*hiddenimports)
