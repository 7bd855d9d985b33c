"""Reading: files and folders into articles.

`walk` finds the files under a folder, `ingest` reads each into articles (text, Markdown, JSON
lines), handing web pages to `webpage`, PDFs to `pdf` (whose lines `pdf_text` cleans) and Word
files to `word`. What is read goes on to rag.index.
"""
