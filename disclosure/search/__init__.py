"""Search over disclosure records behind one protocol (`base`): the embedded index (`embedded`, SQLite
FTS5, the default, no server) and Elasticsearch (`elastic`), chosen from the settings by `factory`.

The package imports none of its modules here: the embedded index does not load the Elasticsearch client,
and no module of the package imports the package itself (no import cycle through this file).
"""
