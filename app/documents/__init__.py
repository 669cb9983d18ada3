"""The user's own documents: text out of files (extract), split into passages with their
source (passages), and folders indexed for search (collections). Qt-free; imports only
app.core."""
