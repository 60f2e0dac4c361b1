"""Help › About names the version a researcher has and where their data is kept (what they
are asked for when they report a problem or update)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from fieldapp import i18n
from fieldapp.ui import paths
from fieldapp.ui.context import AppContext
from fieldapp.ui.main_window import MainWindow
from tests.ui.conftest import ScriptedInteraction

ROOT = Path(__file__).resolve().parents[2]


def declared_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as fh:
        return str(tomllib.load(fh)["project"]["version"])


def test_about_shows_the_version_and_the_data_folder(window: MainWindow,
                                                    interaction: ScriptedInteraction,
                                                    home: Path) -> None:
    window.act_about.trigger()
    [(kind, title, text)] = interaction.shown
    assert (kind, title) == ("info", "About fieldapp")
    assert f"fieldapp {declared_version()}" in text.splitlines()
    assert str(paths.data_home()) in text and str(home) in text


def test_about_in_chinese(window: MainWindow, ctx: AppContext,
                          interaction: ScriptedInteraction) -> None:
    ctx.language.set_language("zh_CN")
    zh = i18n.translations_for("zh_CN")
    assert window.menu_help.title() == zh.gettext("&Help") != "&Help"
    window.act_about.trigger()
    [(_kind, title, text)] = interaction.shown
    assert title == zh.gettext("About fieldapp") != "About fieldapp"
    sentence = "fieldapp keeps fieldwork records encrypted on this computer and works offline."
    assert zh.gettext(sentence) in text and sentence not in text
    assert declared_version() in text
