"""The manuscript: a Jinja2 template filled from the results, converted to HTML and DOCX by pandoc."""
