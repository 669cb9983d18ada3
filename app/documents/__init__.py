"""The user's documents (no Qt): extracting their text, passages, collections.

Extract a file (plain text, Markdown, code, CSV, JSON, PDF, DOCX, HTML) and split it into
passages that know their page and lines. Offline: nothing here opens a socket, and every
limit (size, pages, time, characters, a zip's unpacked size) is checked while reading, with
one clear sentence when it is reached.
"""
