"""Each format read from a real file made in the test, and each refusal a sentence."""

from __future__ import annotations

import codecs
import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.documents.extract import (
    DEFAULT_LIMITS,
    Document,
    DocumentError,
    ExtractionCancelled,
    ExtractLimits,
    Page,
    extract,
    extract_bytes,
    supported,
)
from tests.fixtures.documents import (
    bomb_docx,
    document_xml,
    encrypted_pdf,
    lying_docx,
    make_docx,
    make_pdf,
    many_members_docx,
    page_lines,
    text_pdf,
    zip_parts,
)


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def _refusal(path: Path, limits: ExtractLimits = DEFAULT_LIMITS) -> str:
    with pytest.raises(DocumentError) as caught:
        extract(path, limits)
    message = str(caught.value)
    assert path.name in message
    assert "\n" not in message and message.endswith(".")
    return message


# --- text formats --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("notes.txt", "text"),
        ("README.md", "markdown"),
        ("main.py", "code"),
        ("Makefile", "code"),
        ("lib.rs", "code"),
        ("table.csv", "csv"),
        ("data.json", "json"),
        ("no-extension", "text"),
    ],
)
def test_text_formats_are_read_as_they_are(tmp_path: Path, name: str, kind: str) -> None:
    content = "first line\r\nsecond line\rthird, with ünïcode ✓\n"
    doc = extract(_write(tmp_path, name, content.encode()))
    assert doc == Document(
        name=name,
        kind=kind,
        size=len(content.encode()),
        pages=(Page(None, "first line\nsecond line\nthird, with ünïcode ✓\n", 1),),
    )
    assert doc.text == doc.pages[0].text


def test_csv_and_json_keep_their_text(tmp_path: Path) -> None:
    rows = "name,port\nfresnel,8080\nlighthouse,9090\n"
    assert extract(_write(tmp_path, "ports.csv", rows.encode())).text == rows
    data = json.dumps({"keeper": "Ada", "ships": [1, 2]}, indent=2)
    assert json.loads(extract(_write(tmp_path, "log.json", data.encode())).text) == {
        "keeper": "Ada",
        "ships": [1, 2],
    }


def test_chinese_text_in_utf8(tmp_path: Path) -> None:
    text = "灯塔看守人数着船只。\n第二行：菲涅耳透镜。\n"
    doc = extract(_write(tmp_path, "笔记.txt", text.encode("utf-8")))
    assert (doc.name, doc.text) == ("笔记.txt", text)


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", codecs.BOM_UTF8),
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
    ],
)
def test_a_byte_order_mark_says_the_encoding_and_is_dropped(
    tmp_path: Path, encoding: str, bom: bytes
) -> None:
    text = "灯塔 lighthouse\nline two\n"
    assert extract(_write(tmp_path, "bom.txt", bom + text.encode(encoding))).text == text


def test_utf16_without_a_bom_and_latin1_are_refused_as_binary(tmp_path: Path) -> None:
    message = _refusal(_write(tmp_path, "u16.txt", "hello".encode("utf-16-le")))
    assert "binary file" in message
    assert "binary file" in _refusal(_write(tmp_path, "latin.txt", "café".encode("latin-1")))


def test_a_binary_file_is_refused_with_a_sentence(tmp_path: Path) -> None:
    data = bytes(range(256)) * 64
    message = _refusal(_write(tmp_path, "photo.png", data))
    assert message == (
        "photo.png is a binary file, not text: only UTF-8 or UTF-16 text, PDF and DOCX are read."
    )
    # UTF-8 that decodes but holds NUL bytes is no text either.
    assert "binary" in _refusal(_write(tmp_path, "nul.txt", b"abc\x00def"))


def test_a_large_text_file_reports_progress_per_mib_and_can_be_cancelled(tmp_path: Path) -> None:
    line = "0123456789 lighthouse ✓\n"
    path = _write(tmp_path, "big.log", (line * (3 * 1024 * 1024 // len(line))).encode())
    seen: list[tuple[int, int]] = []
    doc = extract(path, progress=lambda done, total: seen.append((done, total)))
    assert doc.text.startswith(line)
    assert seen == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]
    # A multi-byte character cut by a MiB boundary is decoded whole.
    assert "\ufffd" not in doc.text and doc.text.count("✓") == doc.text.count("\n")

    asked: list[int] = []

    def cancelled() -> bool:
        asked.append(1)
        return len(asked) > 2

    with pytest.raises(ExtractionCancelled, match=r"^Reading big.log was cancelled\.$"):
        extract(path, cancelled=cancelled)
    assert len(asked) == 3  # asked between MiBs, and nothing read after the answer


# --- HTML ----------------------------------------------------------------------------------


def test_html_is_read_as_its_visible_text(tmp_path: Path) -> None:
    page = """<!DOCTYPE html><html><head><title>Hidden title</title>
    <style>p { color: red }</style><script>alert("hidden")</script></head>
    <body><h1>The   Lighthouse</h1><p>Keepers &amp; <b>ships</b>,<br>counted&nbsp;daily.</p>
    <ul><li>one</li><li>two</li></ul>
    <table><tr><th>ship</th><th>port</th></tr><tr><td>Ada</td><td>Brest</td></tr></table>
    <noscript>enable scripts</noscript><pre>keep
  this</pre></body></html>"""
    doc = extract(_write(tmp_path, "page.html", page.encode()))
    assert doc.kind == "html"
    assert doc.text == (
        "The Lighthouse\n\nKeepers & ships,\ncounted daily.\n\none\n\ntwo\n\n"
        "ship\tport\nAda\tBrest\n\nkeep\n  this"
    )
    for hidden in ("Hidden title", "color", "alert", "enable scripts"):
        assert hidden not in doc.text


# --- PDF -----------------------------------------------------------------------------------


def test_a_pdf_keeps_its_pages_and_their_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, "paper.pdf", text_pdf(3, lines=40))
    seen: list[tuple[int, int]] = []
    doc = extract(path, progress=lambda done, total: seen.append((done, total)))
    assert doc.kind == "pdf" and doc.size == path.stat().st_size
    assert [p.number for p in doc.pages] == [1, 2, 3]
    assert [p.first_line for p in doc.pages] == [1, 42, 83]  # 40 lines, then a blank one
    lines = doc.text.split("\n")
    for page in doc.pages:
        assert page.text.split("\n") == page_lines(page.number or 0)
        assert (
            lines[page.first_line - 1]
            == f"Page {page.number} line 1: the lighthouse keeper counts ships."
        )
    assert seen == [(0, 3), (1, 3), (2, 3), (3, 3)]


def test_blank_pages_are_skipped_but_numbers_stay_true(tmp_path: Path) -> None:
    doc = extract(_write(tmp_path, "gaps.pdf", make_pdf([["one"], [], ["three"]])))
    assert doc.pages == (Page(1, "one", 1), Page(3, "three", 3))


def test_a_scanned_pdf_has_no_text_to_read(tmp_path: Path) -> None:
    message = _refusal(_write(tmp_path, "scan.pdf", make_pdf([[], []])))
    assert (
        message == "scan.pdf has no text to read: it looks scanned (pictures of pages, not text)."
    )


def test_an_encrypted_pdf_needs_its_password_removed(tmp_path: Path) -> None:
    message = _refusal(_write(tmp_path, "secret.pdf", encrypted_pdf("hunter2")))
    assert message == "secret.pdf is protected by a password; remove the password and try again."


def test_a_pdf_with_only_an_owner_password_opens_as_viewers_open_it(tmp_path: Path) -> None:
    doc = extract(_write(tmp_path, "locked.pdf", encrypted_pdf("")))
    assert [p.number for p in doc.pages] == [1, 2]
    assert doc.pages[0].text.startswith("Page 1 line 1")


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4\nnot really a pdf",
        text_pdf(2)[:300],  # cut off
        b"%PDF-1.4\n" + os.urandom(2000),
    ],
    ids=["garbage", "truncated", "random"],
)
def test_a_damaged_pdf_is_one_sentence(tmp_path: Path, data: bytes) -> None:
    assert (
        _refusal(_write(tmp_path, "broken.pdf", data))
        == "broken.pdf is damaged and cannot be read."
    )


def test_a_pdf_over_the_page_limit_is_refused_before_reading_a_page(tmp_path: Path) -> None:
    path = _write(tmp_path, "huge.pdf", text_pdf(12, lines=1))
    read: list[int] = []
    with pytest.raises(DocumentError) as caught:
        extract(path, ExtractLimits(max_pages=10), progress=lambda d, t: read.append(d))
    assert str(caught.value) == "huge.pdf has 12 pages; the most that is read from one PDF is 10."
    assert read == []
    assert len(extract(path, ExtractLimits(max_pages=12)).pages) == 12


def test_a_pdf_is_stopped_at_the_time_limit_between_pages(tmp_path: Path) -> None:
    path = _write(tmp_path, "slow.pdf", text_pdf(3, lines=2))
    message = _refusal(path, ExtractLimits(max_seconds=0.0))
    assert message.startswith("slow.pdf took longer than")
    assert message.endswith("to read and was stopped.")


def test_cancelling_a_pdf_stops_between_pages(tmp_path: Path) -> None:
    path = _write(tmp_path, "long.pdf", text_pdf(5, lines=2))
    pages_done: list[int] = []
    with pytest.raises(ExtractionCancelled):
        extract(
            path,
            cancelled=lambda: len(pages_done) >= 3,
            progress=lambda done, total: pages_done.append(done),
        )
    assert pages_done == [0, 1, 2]  # three reports (0, 1, 2): two pages read, then stopped


def test_the_character_limit_is_a_refusal_not_a_truncation(tmp_path: Path) -> None:
    path = _write(tmp_path, "many.pdf", text_pdf(3, lines=10))
    page_chars = len(extract(path).pages[0].text)
    message = _refusal(path, ExtractLimits(max_chars=page_chars * 2))
    assert message == (
        f"many.pdf holds more than {page_chars * 2:,} characters of text, "
        "the most that is read from one file."
    )
    text = _write(tmp_path, "long.txt", b"x" * 5000)
    assert "more than 4,999 characters" in _refusal(text, ExtractLimits(max_chars=4999))
    # A page's markup is not its text: the limit counts what is read from it.
    page = _write(tmp_path, "styled.html", b"<p style='" + b"x" * 5000 + b"'>short</p>")
    assert extract(page, ExtractLimits(max_chars=100)).text == "short"
    assert "more than 3 characters" in _refusal(page, ExtractLimits(max_chars=3))


# --- DOCX ----------------------------------------------------------------------------------


def test_a_docx_gives_its_paragraphs_and_tables(tmp_path: Path) -> None:
    data = make_docx(
        ["The Lighthouse", "Keepers count ships.\tDaily.", "", "灯塔看守人。"],
        table=[["ship", "port"], ["Ada", "Brest"]],
    )
    doc = extract(_write(tmp_path, "report.docx", data))
    assert doc.kind == "docx" and doc.pages == (
        Page(
            None,
            "The Lighthouse\n\nKeepers count ships.\tDaily.\n\n灯塔看守人。\n\nship\tport\nAda\tBrest",
            1,
        ),
    )


def test_a_zip_without_a_document_or_no_zip_at_all_is_refused(tmp_path: Path) -> None:
    other = zip_parts({"xl/workbook.xml": b"<workbook/>"})
    assert _refusal(_write(tmp_path, "sheet.docx", other)) == (
        "sheet.docx is not a Word document (.docx): it has no document text inside."
    )
    assert _refusal(_write(tmp_path, "old.docx", b"\xd0\xcf\x11\xe0 an old .doc")) == (
        "old.docx is not a Word document (.docx), or it is damaged."
    )


def test_a_docx_with_a_dtd_is_refused_before_parsing(tmp_path: Path) -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;">]>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>&b;</w:t></w:r></w:p></w:body></w:document>"
    )
    path = _write(tmp_path, "laughs.docx", zip_parts({"word/document.xml": laughs.encode()}))
    assert _refusal(path) == "laughs.docx is damaged and cannot be read."


def test_a_zip_bomb_with_a_huge_ratio_is_refused_before_it_inflates(tmp_path: Path) -> None:
    path = _write(tmp_path, "bomb.docx", bomb_docx(20_000_000))
    assert path.stat().st_size < 100_000  # ~1,000 to 1
    message = _refusal(path)
    assert message.startswith("bomb.docx unpacks to ")
    assert message.endswith(" times its size, as a zip bomb does, and is not read.")


def test_a_zip_declaring_more_than_the_unpacked_limit_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "big.docx", bomb_docx(300_000))  # under 1 MiB: no ratio check
    assert "would unpack to more than" in _refusal(path, ExtractLimits(max_unzipped_bytes=200_000))
    assert extract(path, ExtractLimits(max_unzipped_bytes=400_000)).text == "x"


def test_a_member_declared_small_that_inflates_further_is_never_held(tmp_path: Path) -> None:
    path = _write(tmp_path, "liar.docx", lying_docx(50_000_000, declared=2000))
    tracemalloc.start()
    try:
        message = _refusal(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert message == "liar.docx is damaged and cannot be read."
    assert peak < 5_000_000  # the 50 MB it inflates to were never in memory


def test_too_many_members_is_a_zip_bomb_too(tmp_path: Path) -> None:
    path = _write(tmp_path, "swarm.docx", many_members_docx(30))
    assert _refusal(path, ExtractLimits(max_zip_members=20)) == (
        "swarm.docx holds more than 20 files inside (a zip bomb?) and is not read."
    )


# --- the file itself -----------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = _write(tmp_path, "big.txt", b"a" * 2_000_001)
    assert _refusal(path, ExtractLimits(max_bytes=2_000_000)) == (
        "big.txt is 2.0 MB; files up to 2.0 MB are read."
    )
    assert DEFAULT_LIMITS.max_bytes == 64 * 1024 * 1024
    assert (DEFAULT_LIMITS.max_pages, DEFAULT_LIMITS.max_chars) == (2000, 4_000_000)
    assert DEFAULT_LIMITS.max_seconds == 60


def test_reading_a_small_file_costs_about_its_size_not_the_limit(tmp_path: Path) -> None:
    """Reading with read(limit) allocates the whole 64 MiB limit first, for any file."""
    path = _write(tmp_path, "small.txt", b"hello " * 200)
    tracemalloc.start()
    try:
        extract(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100_000


def test_a_link_is_never_followed(tmp_path: Path) -> None:
    target = _write(tmp_path, "real.txt", b"secret")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    assert _refusal(link) == "link.txt is a link; only a file itself is read, not a link to it."
    assert not supported(link)
    assert supported(target)


def test_a_folder_or_a_missing_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "folder.txt").mkdir()
    assert _refusal(tmp_path / "folder.txt") == "folder.txt is not a regular file."
    assert _refusal(tmp_path / "gone.txt").startswith("gone.txt could not be read: ")


def test_a_fifo_does_not_hang_the_reader(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    assert _refusal(fifo) == "pipe.txt is not a regular file."
    assert not supported(fifo)


def test_supported_by_name_or_by_the_first_bytes(tmp_path: Path) -> None:
    for name in ("a.pdf", "b.docx", "c.md", "d.py", "e.html", "f.csv", "g.json", "Dockerfile"):
        assert supported(_write(tmp_path, name, b"")), name
    assert supported(_write(tmp_path, "notes", "灯塔\n".encode()))
    assert supported(_write(tmp_path, "u16", codecs.BOM_UTF16_LE + "hi".encode("utf-16-le")))
    assert supported(_write(tmp_path, "scan0001", text_pdf(1, lines=1)))
    assert not supported(_write(tmp_path, "image.png", b"\x89PNG\r\n\x1a\n\x00\x00"))
    assert not supported(_write(tmp_path, "blob", os.urandom(100) + b"\x00"))
    assert not supported(tmp_path / "missing.txt")


# --- a paste ---------------------------------------------------------------------------


def test_extract_bytes_reads_a_paste_with_the_same_formats_and_limits() -> None:
    assert extract_bytes("clip.md", "# 标题\n\ntext".encode()).text == "# 标题\n\ntext"
    pdf = extract_bytes("paper.pdf", text_pdf(2, lines=3))
    assert [p.number for p in pdf.pages] == [1, 2] and pdf.kind == "pdf"
    sniffed = extract_bytes("pasted", text_pdf(1, lines=1))
    assert sniffed.kind == "pdf"
    docx = extract_bytes("a.docx", zip_parts({"word/document.xml": document_xml(["hi"]).encode()}))
    assert docx.text == "hi"
    with pytest.raises(DocumentError, match=r"^clip\.txt is 1 KB; files up to 1 KB are read\.$"):
        extract_bytes("clip.txt", b"x" * 1001, ExtractLimits(max_bytes=1000))
    with pytest.raises(DocumentError, match="binary"):
        extract_bytes("clip.bin", b"\x80\x81\x00")


# --- nothing leaves the machine ------------------------------------------------------------

_OFFLINE_PROBE = """
import json, socket, sys
attempts = []
def audit(event, args):
    if event == "socket.connect" and args[0].family != getattr(socket, "AF_UNIX", -1):
        attempts.append(f"connect {args[1]!r}")
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "urllib.Request"):
        attempts.append(f"{event} {args[0]!r}")
    elif event in ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn"):
        attempts.append(f"{event} {args[0]!r}")
sys.addaudithook(audit)
from pathlib import Path
from app.documents.extract import DocumentError, extract
from app.documents.passages import passages
read = 0
for path in sorted(Path(sys.argv[1]).iterdir()):
    try:
        passages(extract(path))
        read += 1
    except DocumentError:
        pass
if sys.argv[2] == "probe":
    socket.socket().connect_ex(("127.0.0.1", 9))
print(json.dumps({"read": read, "attempts": attempts}))
"""


def _offline_report(folder: Path, mode: str) -> dict[str, object]:
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", _OFFLINE_PROBE, str(folder), mode],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        timeout=120,
        check=True,
    )
    report: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return report


def test_reading_any_format_opens_no_socket_and_starts_no_program(tmp_path: Path) -> None:
    """Links to the web inside a document (an HTML image, a DTD on a server, a PDF link)
    are text at most: nothing is fetched, resolved or run."""
    web = "http://documents.example/x"
    _write(
        tmp_path,
        "page.html",
        f'<img src="{web}.png"><script src="{web}.js"></script><p>hi</p>'.encode(),
    )
    dtd = f'<?xml version="1.0"?><!DOCTYPE w SYSTEM "{web}.dtd"><w/>'
    _write(tmp_path, "dtd.docx", zip_parts({"word/document.xml": dtd.encode()}))
    _write(tmp_path, "report.docx", make_docx([f"See {web}.", "Second paragraph."]))
    _write(tmp_path, "paper.pdf", make_pdf([[f"Read {web} for more."], ["page two"]]))
    _write(tmp_path, "secret.pdf", encrypted_pdf("pw"))
    _write(tmp_path, "notes.md", f"[link]({web})\n".encode())
    report = _offline_report(tmp_path, "read")
    assert report == {"read": 4, "attempts": []}
    # The probe does see a connection, so the empty list above means something.
    probe = _offline_report(tmp_path, "probe")
    assert probe["attempts"] == ["connect ('127.0.0.1', 9)"]


# --- anything at all -----------------------------------------------------------------------

_SEEDS = {
    "x.pdf": text_pdf(2, lines=3),
    "x.docx": make_docx(["one", "two"], table=[["a", "b"]]),
    "x.html": b"<p>one</p><table><tr><td>a</td></tr></table>",
    "x.txt": "灯塔\r\nline".encode(),
}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(sorted(_SEEDS)),
    flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=8),
    cut=st.integers(0, 10**6),
)
def test_a_damaged_file_of_any_kind_is_a_document_or_one_sentence(
    name: str, flips: list[tuple[int, int]], cut: int
) -> None:
    """Real files with bytes changed and cut short: never an exception but DocumentError."""
    data = bytearray(_SEEDS[name])
    for at, value in flips:
        data[at % len(data)] = value
    data = data[: max(1, cut % (len(data) + 1))]
    try:
        doc = extract_bytes(name, bytes(data))
    except DocumentError as e:
        assert name in str(e) and "\n" not in str(e)
    else:
        assert doc.size == len(data)
        if doc.kind == "pdf":
            assert doc.pages and all(p.text for p in doc.pages)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=4000), name=st.sampled_from(["a.pdf", "a.docx", "a.html", "a"]))
def test_random_bytes_are_a_document_or_one_sentence(data: bytes, name: str) -> None:
    try:
        extract_bytes(name, data)
    except DocumentError as e:
        assert name in str(e)
