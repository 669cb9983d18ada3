"""The user's own documents, as text with its sources: extract a file (plain text, Markdown,
code, CSV, JSON, PDF, DOCX, HTML) and split it into passages that know their page and lines.

Qt-free and offline: nothing here opens a socket, and every limit (size, pages, time,
characters, a zip's unpacked size) is checked while reading, with one clear sentence when
it is reached.
"""
