"""A small keyboard-first prompt window over the Settings window (Rename…, Remove…).

Not `tkinter.simpledialog`: this one reports its focus through the Settings window's echo (the
desktop tests' sync points), takes the focus itself on a bare X server without a window
manager, and keeps the window open with a red message when the answer is refused.
Return presses the focused button (OK in the entry), Escape cancels.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tray_app.windows.tk_base import place

if TYPE_CHECKING:
    import tkinter as tk
    from tkinter import ttk

#: on_ok gets the entry's text ("" without an entry) and returns None to close, or a message.
Answer = Callable[[str], "str | None"]
Say = Callable[..., None]


class ModalPrompt:
    """A transient window with a text, an optional entry and Cancel / `confirm` buttons."""

    def __init__(
        self,
        root: tk.Misc,
        say: Say,
        title: str,
        text: str,
        on_ok: Answer,
        *,
        initial: str | None = None,
        confirm: str = "OK",
        cancel: str = "Cancel",
        wrap: int = 360,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        import tkinter as tk
        from tkinter import ttk

        self._say = say
        self._on_ok = on_ok
        self._on_close = on_close
        self.top = tk.Toplevel(root)
        self.top.title(title)
        self.top.transient(root.winfo_toplevel())
        self.top.resizable(False, False)
        frame = ttk.Frame(self.top, padding=14)
        frame.grid(sticky="nsew")
        ttk.Label(frame, text=text, wraplength=wrap).grid(row=0, column=0, sticky="w")
        self.var = tk.StringVar(self.top, value=initial or "")
        self.entry: ttk.Entry | None = None
        if initial is not None:
            self.entry = ttk.Entry(frame, textvariable=self.var, width=36)
            self.entry.grid(row=1, column=0, sticky="ew", pady=(6, 0))
            self.entry.bind("<FocusIn>", lambda _e: self._focused("prompt_entry"))
        self.error = ttk.Label(frame, text="", style="Error.TLabel", wraplength=wrap)
        self.error.grid(row=2, column=0, sticky="ew", pady=(4, 0))
        buttons = ttk.Frame(frame)
        buttons.grid(row=3, column=0, sticky="e", pady=(10, 0))
        cancel_button = ttk.Button(buttons, text=cancel, command=self.close)
        cancel_button.grid(row=0, column=0, padx=(0, 8))
        cancel_button.bind("<FocusIn>", lambda _e: self._focused("prompt_cancel"))
        self.ok = ttk.Button(buttons, text=confirm, command=self._answer, default="active")
        self.ok.grid(row=0, column=1)
        self.ok.bind("<FocusIn>", lambda _e: self._focused("prompt_ok"))
        self.top.bind("<Return>", self._on_return)
        self.top.bind("<KP_Enter>", self._on_return)
        self.top.bind("<Escape>", lambda _e: self.close())
        self.top.protocol("WM_DELETE_WINDOW", self.close)
        self._mapped = False
        self.top.bind("<Map>", self._on_map)
        # Centred over the Settings window: without a window manager (bare X, some kiosks)
        # a new toplevel would otherwise appear in the screen's corner.
        place(self.top, over=root.winfo_toplevel())

    def _focused(self, name: str) -> None:
        self._say("focus", name, force=True)

    def _on_map(self, event: tk.Event[tk.Misc]) -> None:
        if self._mapped or event.widget is not self.top:
            return
        self._mapped = True
        self.top.focus_force()  # also without a window manager
        target: ttk.Widget = self.entry if self.entry is not None else self.ok
        target.focus_set()
        if self.entry is not None:
            self.entry.select_range(0, "end")  # typing replaces the old name

    def _on_return(self, event: tk.Event[tk.Misc]) -> str:
        from tkinter import ttk

        if isinstance(event.widget, ttk.Button):
            event.widget.invoke()
        else:
            self._answer()
        return "break"

    def _answer(self) -> None:
        message = self._on_ok(self.var.get())
        if message:
            self.error.configure(text=message)
            self._say("error prompt", message, force=True)
            if self.entry is not None:
                self.entry.focus_set()
                self.entry.select_range(0, "end")  # typing replaces the refused answer
            return
        self.close()

    def close(self) -> None:
        self.top.destroy()
        if self._on_close is not None:
            self._on_close()
