"""The search backend the settings ask for. The process that builds one (the app, a command, the worker)
owns it and hands it on: to the routes through the app, to the indexer through its Dispatcher."""

from __future__ import annotations

from typing import Any

from disclosure.search.base import SearchBackend


def from_settings(settings: Any) -> SearchBackend:
    """Elasticsearch where CROSSTRUST_SEARCH_URL is set, else the embedded index under var/."""
    if settings.search_url:
        # Imported here: the embedded default never loads the Elasticsearch client.
        from disclosure.search.elastic import ElasticIndex

        return ElasticIndex(settings.search_url, settings.search_index, refresh=settings.search_refresh)
    from disclosure.search.embedded import EmbeddedIndex

    return EmbeddedIndex(settings.ensure_var_dir() / "search.db")
