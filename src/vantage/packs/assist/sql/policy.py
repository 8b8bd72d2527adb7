"""The safety policy: which statements, clauses and functions a query may never contain."""

from __future__ import annotations

from sqlglot import exp

# Statement and clause nodes refused wherever they appear in the tree. Anything sqlglot cannot
# model is parsed as ``Command`` and refused with them.
FORBIDDEN_NODE_NAMES = (
    "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "AlterColumn",
    "TruncateTable", "Copy", "Command", "Set", "Pragma", "Attach", "Detach", "Grant", "Revoke",
    "Use", "Transaction", "Commit", "Rollback", "Analyze", "LoadData", "Kill", "Cache",
    "Uncache", "Refresh", "Comment", "Describe", "Execute", "Show", "Declare", "Lock", "Into",
)  # fmt: skip
FORBIDDEN_NODES: tuple[type[exp.Expr], ...] = tuple(
    getattr(exp, name) for name in FORBIDDEN_NODE_NAMES if hasattr(exp, name)
)

# Functions refused by exact (lower-case, unqualified) name: sleeping, file and network access,
# settings, sequences, running SQL text given as a string, loading code.
DENIED_FUNCTIONS = frozenset(
    {
        "set_config", "current_setting", "nextval", "setval", "currval", "lastval",
        "query_to_xml", "query_to_xmlschema", "query_to_xml_and_xmlschema",
        "table_to_xml", "table_to_xmlschema", "table_to_xml_and_xmlschema",
        "cursor_to_xml", "cursor_to_xmlschema", "schema_to_xml", "schema_to_xmlschema",
        "schema_to_xml_and_xmlschema", "database_to_xml", "database_to_xmlschema",
        "database_to_xml_and_xmlschema", "load_extension", "readfile", "writefile", "edit",
        "fts3_tokenizer", "randomblob", "zeroblob", "txid_current", "inet_server_addr",
        "inet_server_port", "inet_client_addr", "version", "current_database",
        "current_schema", "current_schemas", "current_user", "session_user", "user",
        "current_version", "current_catalog", "current_role",
        "has_table_privilege", "to_regclass", "sqlite_version", "sqlite_source_id",
        "sqlite_compileoption_get", "sqlite_compileoption_used", "sqlite_offset",
        "unistr", "lo_import", "lo_export", "xmlparse", "xpath", "dblink",
    }
)  # fmt: skip

# Families refused by prefix: every PostgreSQL administration function starts with ``pg_``
# (pg_sleep, pg_read_file, pg_ls_dir, pg_terminate_backend ...), large objects with ``lo_``,
# remote connections with ``dblink``; SQLite's introspection functions with ``sqlite_`` and its
# table-valued PRAGMAs with ``pragma_``.
DENIED_FUNCTION_PREFIXES = ("pg_", "lo_", "dblink", "sqlite_", "pragma_", "txid_", "gp_")

# Table-valued functions a query may read from (anything else in FROM is refused).
ALLOWED_TABLE_FUNCTIONS = frozenset(
    {
        "generate_series", "exploding_generate_series", "unnest", "json_each", "json_tree",
        "jsonb_array_elements", "json_array_elements", "jsonb_each",
        "json_array_elements_text", "jsonb_array_elements_text",
    }
)  # fmt: skip


def is_denied_function(name: str) -> bool:
    """Whether a function called ``name`` (any case, quoting removed) may not be called."""
    lowered = name.strip().lower()
    return lowered in DENIED_FUNCTIONS or lowered.startswith(DENIED_FUNCTION_PREFIXES)
