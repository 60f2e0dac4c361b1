"""REFI-QDA: the open exchange standard NVivo, ATLAS.ti, MAXQDA and QualCoder read and write
(QDA-XML 1.0, ``urn:QDA-XML:project:1.0``; schema ``Project.xsd`` of March 2019).

Export — a ``.qdpx`` file is a zip holding ``project.qde`` (the project as XML) and
``Sources/<guid>.txt`` (each note's text, UTF-8). What goes in:

- **Users**: everyone who coded (the device that recorded a coding, named by the team roster).
- **CodeBook**: the code tree; a code's name in the export's language, its definitions in both
  languages as the description, its colour.
- **Variables** and **Cases**: one case per participant (named by their pseudonymous code),
  with role, organisation (its pseudonymous code where naming it lacks consent), site and
  sector as attributes, and references to the notes of their interviews.
- **Sources**: every note (field notes, transcripts, summaries) as a text source, with its
  codings as ``PlainTextSelection``\\s whose positions are Unicode code points, as fieldapp
  counts them, each with its coder, date and coding comment.
- **Notes**: memos (notes of the kind "memo") as project notes, referred to by the sources of
  the same interview.

The same consent rules as every other export apply: withdrawn participants are absent, a note
whose interview lacks verbatim-quote consent is left out with its codings (a QDA project is
made of quotations), and identifiers are masked character for character, so positions still
line up.

Import — :func:`read_codebook` reads the code tree of a codebook file (``.qdc``,
``urn:QDA-XML:codebook:1.0``) or of a project (``.qdpx`` or a bare ``.qde``).
"""

from __future__ import annotations

import io
import uuid
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lxml import etree

from fieldapp.export.atomic import Ticker, publish, scratch_dir
from fieldapp.export.cells import Redactor
from fieldapp.export.consent import Selection, hlc_datetime
from fieldapp.export.vocab import Vocab
from fieldapp.i18n import N_, _
from fieldapp.store.errors import InvalidInput

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
ORIGIN = "fieldapp"
#: the most a codebook file (or a project's project.qde) may hold when imported
MAX_XML_BYTES = 64 * 1024 * 1024
_GUID_NS = uuid.UUID("6f1c9a52-4b0e-4d6a-9a57-0c1f2e1d7a10")

Record = dict[str, Any]


def guid(kind: str, key: str) -> str:
    """A stable GUID for something that has no UUID of its own (a coder, a variable)."""
    return str(uuid.uuid5(_GUID_NS, f"{kind}:{key}"))


def _when(hlc: str | None) -> str | None:
    moment = hlc_datetime(hlc)
    return moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z") if moment else None


def _colour(value: Any) -> str | None:
    text = str(value or "")
    if len(text) in (4, 7) and text.startswith("#") and all(
            c in "0123456789abcdefABCDEF" for c in text[1:]):
        return text
    return None


def _q(tag: str) -> str:
    return f"{{{PROJECT_NS}}}{tag}"


def _sub(parent: Any, tag: str, **attrs: str | None) -> Any:
    return etree.SubElement(parent, _q(tag), {k: v for k, v in attrs.items() if v is not None})


def _description(parent: Any, text: str) -> None:
    if text:
        _sub(parent, "Description").text = text


def _definition(code: Record) -> str:
    parts = [str(code.get("definition_zh") or ""), str(code.get("definition_en") or "")]
    return "\n\n".join(p for p in parts if p.strip())


@dataclass
class QdpxReport:
    sources: int = 0
    memos: int = 0
    codings: int = 0
    cases: int = 0
    codes: int = 0
    #: notes left out for lack of verbatim-quote consent
    withheld: int = 0
    files: list[str] = field(default_factory=list)


class ProjectBuilder:
    def __init__(self, sel: Selection, vocab: Vocab, redactor: Redactor | None,
                 coders: dict[str, str], title: str) -> None:
        self.sel, self.v, self.redactor, self.coders = sel, vocab, redactor, coders
        self.title = title
        self.report = QdpxReport()
        #: memo records (fieldapp.export.memos adds the ones consent allows as notes)
        self.memos: list[Record] = []

    def _text(self, value: str) -> str:
        return self.redactor(value) if self.redactor is not None and value else value

    def _code_tree(self, parent: Any) -> None:
        codes = self.v.codes
        children: dict[str | None, list[Record]] = {}
        for code in codes.values():
            up = code.get("parent_id")
            children.setdefault(up if up in codes else None, []).append(code)

        def add(node: Any, code: Record, seen: set[str]) -> None:
            el = _sub(node, "Code", guid=code["id"], name=self.v.code_name(code["id"]) or "?",
                      isCodable="true", color=_colour(code.get("colour")))
            _description(el, _definition(code))
            self.report.codes += 1
            for child in children.get(code["id"], []):
                if child["id"] not in seen:
                    add(el, child, seen | {child["id"]})

        roots = children.get(None, [])
        if roots:
            tree = _sub(_sub(parent, "CodeBook"), "Codes")
            for code in roots:
                add(tree, code, {code["id"]})

    def build(self, ticker: Ticker) -> tuple[bytes, Iterator[tuple[str, str]]]:
        """project.qde, and the source texts to store as (file name, text)."""
        sel, v = self.sel, self.v
        root = etree.Element(_q("Project"), nsmap={None: PROJECT_NS},
                             name=self.title or "fieldapp", origin=ORIGIN,
                             creationDateTime=datetime.now(UTC).replace(microsecond=0)
                             .isoformat().replace("+00:00", "Z"))
        notes = [n for n in sel.notes if n["interview_id"] in sel.quotable]
        self.report.withheld = len(sel.notes) - len(notes)
        note_ids = {n["id"] for n in notes}
        codings = [c for c in sel.codings if c["note_id"] in note_ids]
        coder_ids = sorted({str(x.get("owner") or "") for x in [*codings, *notes]})
        if coder_ids:
            users = _sub(root, "Users")
            for device in coder_ids:
                _sub(users, "User", guid=guid("coder", device),
                     name=self.coders.get(device) or device[:8] or "?", id=device or None)
        self._code_tree(root)

        # Variables and cases: participants with their attributes
        attributes = [("role", N_("Role")), ("organisation", N_("Organisation")),
                      ("site", N_("Site")), ("sector", N_("Sector"))]
        people = sorted(sel.participants, key=lambda p: str(p.get("code") or ""))
        if people:
            variables = _sub(root, "Variables")
            for key, label in attributes:
                _sub(variables, "Variable", guid=guid("variable", key), name=v.tr(label),
                     typeOfVariable="Text")
        by_person: dict[str, list[str]] = {}
        for n in notes:
            if n.get("kind") == "memo":
                continue
            interview = next((i for i in sel.interviews if i["id"] == n["interview_id"]), None)
            for pid in (interview or {}).get("participant_ids") or []:
                by_person.setdefault(pid, []).append(n["id"])
        if people:
            cases = _sub(root, "Cases")
            for p in people:
                case = _sub(cases, "Case", guid=p["id"], name=str(p.get("code") or ""))
                values = {"role": p.get("role") or None,
                          "organisation": v.organisation(p.get("organisation_id")),
                          "site": v.place("sites", p.get("site")),
                          "sector": v.place("sectors", p.get("sector"))}
                for key, _label in attributes:
                    if values[key]:
                        value = _sub(case, "VariableValue")
                        _sub(value, "VariableRef", targetGUID=guid("variable", key))
                        _sub(value, "TextValue").text = str(values[key])
                for note_id in by_person.get(p["id"], []):
                    _sub(case, "SourceRef", targetGUID=note_id)
                self.report.cases += 1

        # Sources and memos
        by_note: dict[str, list[Record]] = {}
        for c in codings:
            by_note.setdefault(c["note_id"], []).append(c)
        codes_known = set(v.codes)
        memos_of: dict[str, list[str]] = {}
        for n in notes:
            if n.get("kind") == "memo":
                memos_of.setdefault(n["interview_id"], []).append(n["id"])
        code_of = {i["id"]: str(i.get("code") or "") for i in sel.interviews}
        texts: list[tuple[str, str]] = []
        sources = None
        for n in notes:
            if n.get("kind") == "memo":
                continue
            if sources is None:
                sources = _sub(root, "Sources")
            self._source(sources, "TextSource", n, code_of, by_note, codes_known, texts)
            for memo_id in memos_of.get(n["interview_id"], []):
                _sub(sources[-1], "NoteRef", targetGUID=memo_id)
            self.report.sources += 1
            ticker.tick()
        memo_notes = [n for n in notes if n.get("kind") == "memo"]
        if memo_notes:
            memo_parent = _sub(root, "Notes")  # memos: the project's notes
            for n in memo_notes:
                self._source(memo_parent, "Note", n, code_of, by_note, codes_known, texts)
                self.report.memos += 1
                ticker.tick()
        _description(root, _("Exported from fieldapp"))
        from fieldapp.export.memos import add_refi_notes  # memo records: fieldapp/export/memos

        self.report.memos += add_refi_notes(root, self)
        self.report.codings = sum(len(by_note.get(n["id"], [])) for n in notes)
        xml = etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)
        return xml, iter(texts)

    def _source(self, parent: Any, tag: str, n: Record, code_of: dict[str, str],
                by_note: dict[str, list[Record]], codes_known: set[str],
                texts: list[tuple[str, str]]) -> None:
        v = self.v
        kind = v.enum("note_kind", n.get("kind")) or ""
        name = " ".join(x for x in (code_of.get(n["interview_id"], ""), kind,
                                    self._text(str(n.get("title") or ""))) if x)
        el = _sub(parent, tag, guid=n["id"], name=name or n["id"],
                  plainTextPath=f"internal://{n['id']}.txt",
                  creatingUser=guid("coder", str(n.get("owner") or "")),
                  creationDateTime=_when(n.get("created_hlc")),
                  modifiedDateTime=_when(n.get("updated_hlc")))
        body = self._text(str(n.get("body") or ""))
        texts.append((f"{n['id']}.txt", body))
        for c in sorted(by_note.get(n["id"], []), key=lambda c: c.get("start_offset") or 0):
            start, end = int(c.get("start_offset") or 0), int(c.get("end_offset") or 0)
            if c.get("code_id") not in codes_known or not 0 <= start < end <= len(body):
                continue
            coder = guid("coder", str(c.get("owner") or ""))
            when = _when(c.get("created_hlc"))
            selection = _sub(el, "PlainTextSelection", guid=c["id"],
                             name=body[start:end][:60], startPosition=str(start),
                             endPosition=str(end), creatingUser=coder, creationDateTime=when)
            _description(selection, self._text(str(c.get("comment") or "")))
            coding = _sub(selection, "Coding", guid=guid("coding", c["id"]),
                          creatingUser=coder, creationDateTime=when)
            _sub(coding, "CodeRef", targetGUID=str(c["code_id"]))


def write_qdpx(builder: ProjectBuilder, target: Path, ticker: Ticker, *,
               overwrite: bool = False) -> QdpxReport:
    with scratch_dir(target) as work:
        built = work / "project.qdpx"
        xml, texts = builder.build(ticker)
        with zipfile.ZipFile(built, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("project.qde", xml)
            for name, text in texts:
                archive.writestr(f"Sources/{name}", text.encode("utf-8"))
                builder.report.files.append(name)
        ticker.check()
        publish(built, target, overwrite)
    ticker.finish()
    return builder.report


# -- import ----------------------------------------------------------------------------------

@dataclass
class ImportedCode:
    name: str
    description: str = ""
    colour: str = ""
    children: list[ImportedCode] = field(default_factory=list)


class BadCodebook(InvalidInput):
    pass


def _xml_of(path: Path) -> bytes:
    """The XML of a .qdc/.qde file, or the project.qde inside a .qdpx (size-bounded)."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                names = [n for n in archive.namelist() if n.lower().endswith(".qde")
                         and "/" not in n.strip("/")]
                if not names:
                    raise BadCodebook(_("{name} is a zip file without a project.qde: not a "
                                        "REFI-QDA project.").format(name=path.name))
                info = archive.getinfo(names[0])
                if info.file_size > MAX_XML_BYTES:
                    raise BadCodebook(_("{name} is too large to import.").format(name=path.name))
                return archive.read(info)
        if path.stat().st_size > MAX_XML_BYTES:
            raise BadCodebook(_("{name} is too large to import.").format(name=path.name))
        return path.read_bytes()
    except (OSError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise BadCodebook(_("Cannot read {name}: {reason}").format(
            name=path.name, reason=getattr(exc, "strerror", None) or exc)) from None
    except (RuntimeError, NotImplementedError):
        # zipfile's words for a password-protected member or an unknown compression method
        raise BadCodebook(_("{name} is password-protected or compressed in a way that cannot be "
                            "read: export it again from the QDA program without a password."
                            ).format(name=path.name)) from None


def read_codebook(path: Path) -> list[ImportedCode]:
    """The code tree of a REFI-QDA codebook (.qdc) or project (.qdpx, .qde)."""
    raw = _xml_of(Path(path))
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                             load_dtd=False)
    try:
        root = etree.parse(io.BytesIO(raw), parser).getroot()
    except etree.XMLSyntaxError as exc:
        raise BadCodebook(_("{name} is not valid XML: {reason}").format(
            name=Path(path).name, reason=exc.msg)) from None
    ns = etree.QName(root).namespace
    if ns not in (PROJECT_NS, CODEBOOK_NS) or etree.QName(root).localname not in (
            "Project", "CodeBook"):
        raise BadCodebook(_("{name} is not a REFI-QDA codebook or project.").format(
            name=Path(path).name))
    book = root if etree.QName(root).localname == "CodeBook" else root.find(f"{{{ns}}}CodeBook")
    codes = book.find(f"{{{ns}}}Codes") if book is not None else None
    if codes is None:
        return []

    def read(el: Any, depth: int) -> ImportedCode | None:
        name = (el.get("name") or "").strip()
        if not name or depth > 50:
            return None
        desc = el.find(f"{{{ns}}}Description")
        code = ImportedCode(name, (desc.text or "").strip() if desc is not None else "",
                            _colour(el.get("color")) or "")
        for child in el.findall(f"{{{ns}}}Code"):
            sub = read(child, depth + 1)
            if sub is not None:
                code.children.append(sub)
        return code

    out = [read(el, 0) for el in codes.findall(f"{{{ns}}}Code")]
    return [c for c in out if c is not None]
