"""The explicit context passed to every window and view (no globals, no service locator)."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal

from fieldapp.ui.autosave import EditorRegistry
from fieldapp.ui.clipboard import SecretClipboard
from fieldapp.ui.idle_index import IdleIndexer
from fieldapp.ui.interaction import Interaction
from fieldapp.ui.language import LanguageBus
from fieldapp.ui.settings import Settings
from fieldapp.ui.tasks import DbWorker


class DataBus(QObject):
    """Tells views that records changed, so they reload (through services, on the worker)."""

    #: the record type that changed ("interview", "note", …) or "*" for everything
    changed = Signal(str)
    #: the workspace was locked: views drop everything they show
    cleared = Signal()


@dataclass
class AppContext:
    settings: Settings
    tasks: DbWorker
    interaction: Interaction
    language: LanguageBus
    data: DataBus
    clipboard: SecretClipboard
    #: every editor that saves by itself; flushed before the workspace locks or the app exits
    editors: EditorRegistry = field(default_factory=EditorRegistry)
    #: brings the search index up to date with saves when the researcher pauses
    indexer: IdleIndexer = field(init=False)

    def __post_init__(self) -> None:
        self.indexer = IdleIndexer(self.tasks)


def build_context(*, synchronous: bool = False, settings: Settings | None = None,
                  interaction: Interaction | None = None) -> AppContext:
    settings = settings or Settings()
    from fieldapp.ui import settings as keys

    return AppContext(
        settings=settings,
        tasks=DbWorker(synchronous=synchronous),
        interaction=interaction or Interaction(),
        language=LanguageBus(),
        data=DataBus(),
        clipboard=SecretClipboard(settings.get(keys.CLIPBOARD_CLEAR_SECONDS)),
    )
