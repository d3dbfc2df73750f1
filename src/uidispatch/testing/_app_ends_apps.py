"""The ``APP`` code of the built-in toolkits for :mod:`uidispatch.testing.app_ends`.

Each is the toolkit's part of one generated case's child script: a class ``App`` with a
label, ``show``, ``work`` and ``widget``, and ``run(app)`` (or ``run_begun``) ending the
app's loop the way the script's global ``ENDING`` says. Import them from ``app_ends``.
"""

from __future__ import annotations

__all__ = ["GTK_APP", "PYGAME_APP", "TEXTUAL_APP", "TK_APP"]

TK_APP = """
import tkinter


class App:
    def __init__(self):
        self.root = tkinter.Tk()
        self.label = tkinter.Label(self.root)
        self.label.pack()
        if ENDING != "never asked":
            self.d = ud.get_dispatcher("tk", app=self.root)

    def show(self, *args):
        self.label.config(text=str(args)[:20])

    def work(self, *args):
        return blocked()

    def widget(self):
        blocked()
        return self.label


def run(app):
    end = app.root.quit if ENDING == "loop ended" else app.root.destroy
    app.root.after(50, end)
    app.root.mainloop()
"""
"""The ``APP`` code for Tk: a root with a label; the window is destroyed, or the loop quit."""


GTK_APP = """
import gi

gi.require_version("Gtk", "3.0")
from gi.repository import GLib, Gtk


class App:
    def __init__(self):
        self.window = Gtk.Window(title="app ends")
        self.label = Gtk.Label(label="waiting")
        self.window.add(self.label)
        self.window.show_all()
        if ENDING != "never asked":
            self.d = ud.get_dispatcher("gtk", app=self.window)

    def show(self, *args):
        self.label.set_text(str(args)[:20])

    def work(self, *args):
        return blocked()

    def widget(self):
        blocked()
        return self.label


def run(app):
    if ENDING == "loop ended":
        GLib.timeout_add(50, Gtk.main_quit)  # the window stays
    else:
        app.window.connect("destroy", lambda *_: Gtk.main_quit())
        GLib.timeout_add(50, app.window.destroy)
    Gtk.main()
"""
"""The ``APP`` code for GTK 3: a window with a label, bound as ``app=``; destroyed, or
``Gtk.main_quit()`` with the window still there. Needs a display (Xvfb)."""

TEXTUAL_APP = """
import asyncio

from textual.app import App as TextualApp
from textual.widgets import Static



def pump_until(until):
    pass  # the scenario runs in on_mount: the app's loop runs once it returns


class App(TextualApp):
    def compose(self):
        self.label = Static("waiting")
        yield self.label

    async def on_mount(self):
        if ENDING != "never asked":
            self.d = ud.get_dispatcher("textual", app=self)
        self.pool = self.begin()
        # Waited for here, not in begin(): a guest run's work starts only as the loop runs.
        deadline = time.monotonic() + WAIT
        while not started.is_set():
            assert time.monotonic() < deadline, "the work never started"
            await asyncio.sleep(0.01)
        self.set_timer(0.05, self.exit)

    def show(self, *args):
        self.label.update(str(args)[:20])

    def work(self, *args):
        return blocked()

    def widget(self):
        blocked()
        return self.label


def run_begun(app, begin):
    # Textual gives a dispatcher only to a running app: the scenario starts in on_mount.
    app.begin = begin
    if ENDING == "loop ended":
        # The app's run ends inside a longer coroutine: the asyncio loop goes on after it.
        async def longer():
            await app.run_async(headless=True)
            for _ in range(10):
                await asyncio.sleep(0)
        asyncio.run(longer())
    else:
        app.run(headless=True)
    pool = app.pool
    del app.begin, app.pool
    return pool
"""
"""The ``APP`` code for Textual: a headless app with a ``Static`` label that starts the
scenario in ``on_mount`` (``run_begun``) and exits; "loop ended" is ``await
app.run_async()`` inside a coroutine that goes on (Textual has no window apart from its
run)."""

PYGAME_APP = """
import pygame
import uidispatch_pygame


class App:
    def __init__(self):
        pygame.init()
        self.screen = pygame.display.set_mode((64, 32))
        self.label = pygame.sprite.Sprite()
        self.label.image = pygame.Surface((64, 32))
        self.label.rect = self.label.image.get_rect()
        self.sprites = pygame.sprite.Group(self.label)
        if ENDING != "never asked":
            self.d = ud.get_dispatcher("pygame")

    def show(self, *args):
        self.label.image.fill((len(str(args)) % 256, 0, 0))

    def work(self, *args):
        return blocked()

    def widget(self):
        blocked()
        return self.label


def run(app):
    # The app's own frame loop; the window's close button is a QUIT event.
    clock = pygame.time.Clock()
    pygame.time.set_timer(pygame.QUIT, 50, 1)
    running = True
    while running:
        for event in pygame.event.get():
            running = running and event.type != pygame.QUIT
        if ENDING != "never asked":
            uidispatch_pygame.pump()
        app.sprites.draw(app.screen)
        pygame.display.flip()
        clock.tick(60)
    if ENDING != "loop ended":
        pygame.quit()  # the window closes; "loop ended" leaves it open
"""
"""The ``APP`` code for pygame: a frame loop (events, ``pump()``, draw) with a sprite as
the label, ended by a QUIT event; then ``pygame.quit()``, or the window left open.
Needs ``SDL_VIDEODRIVER=dummy`` where there is no display."""
