/**
 * Keyword and function tables of the SQL injection detector (`../sqli.ts`): booleans,
 * comparisons, statement starts, the function families (time delay, error-based, file access,
 * stored procedures, probing), catalog names, PostgreSQL types, overflow numbers.
 */

export const BOOL_WORDS = new Set(["or", "and", "xor", "not", "div", "||", "&&"]);
export const CMP_WORDS = new Set(["like", "rlike", "regexp", "is", "in", "between", "sounds", "glob", "similar"]);
// oxfmt-ignore
export const STATEMENT_START = new Set(["select", "insert", "update", "delete", "create", "alter", "drop", "with", "explain", "truncate", "replace", "merge", "grant", "begin", "show", "describe", "pragma"]);
/** Functions that only show up in attacks when they appear in an SQL position. */
// oxfmt-ignore
export const TIME_FUNCS = new Set(["sleep", "benchmark", "pg_sleep", "randomblob", "pg_sleep_for", "pg_sleep_until", "dbms_lock.sleep", "dbms_pipe.receive_message", "dbms_session.sleep", "sys.dbms_lock.sleep", "user_lock.sleep"]);
// oxfmt-ignore
export const ERROR_FUNCS = new Set(["extractvalue", "updatexml", "exp", "geometrycollection", "multipoint", "polygon", "linestring", "multilinestring", "multipolygon", "name_const", "json_keys", "gtid_subset", "gtid_subtract", "xmltype", "ctxsys.drithsx.sn", "utl_inaddr.get_host_name", "utl_inaddr.get_host_address", "dbms_xmlgen.getxml", "dbms_utility.sqlid_to_sqlhash", "ordsys.ord_dicom.getmappingxpath", "sys.dbms_aw_xml.readawmetadata"]);
// oxfmt-ignore
export const FILE_FUNCS = new Set(["load_file", "pg_read_file", "pg_read_binary_file", "pg_ls_dir", "lo_import", "lo_export", "lo_get", "utl_http.request", "httpuritype.getclob", "utl_file.fopen", "dbms_java.runjava", "dbms_ldap.init", "openrowset", "opendatasource", "bulk", "load_extension", "dblink", "dblink_connect"]);
// oxfmt-ignore
export const PROC_WORDS = new Set(["xp_cmdshell", "sp_oacreate", "sp_oamethod", "xp_dirtree", "xp_subdirs", "xp_regread", "xp_regwrite", "xp_fileexist", "sp_makewebtask", "sp_addsrvrolemember", "sp_addlogin", "sp_configure", "sp_executesql", "xp_servicecontrol", "sp_password", "xp_availablemedia", "xp_loginconfig", "xp_ntsec_enumdomains", "xp_terminate_process", "sp_execute_external_script", "fn_varbintohexstr", "dbms_java_test.funcall", "dbms_java.runjava"]);
/** Functions whose presence right after a breakout/boolean says "this is SQL". */
// oxfmt-ignore
export const SQL_FUNCS = new Set([
  ...TIME_FUNCS, ...ERROR_FUNCS, ...FILE_FUNCS,
  "ascii", "ord", "char", "chr", "nchar", "substring", "substr", "mid", "left", "right", "length", "len", "concat", "concat_ws",
  "group_concat", "string_agg", "listagg", "version", "database", "user", "current_user", "system_user", "session_user", "schema",
  "if", "iif", "ifnull", "isnull", "nullif", "coalesce", "case", "cast", "convert", "count", "exists", "hex", "unhex", "md5",
  "sha1", "sha2", "rand", "random", "floor", "ceil", "round", "db_name", "user_name", "suser_name", "suser_sname", "has_dbaccess", "is_srvrolemember", "instr", "locate",
  "position", "elt", "make_set", "field", "row", "bin", "conv", "unicode", "lower", "upper", "trim", "ltrim", "rtrim", "replace", "reverse",
  "sqlite_version", "typeof", "current_database", "pg_typeof", "quote_ident", "to_char", "utl_raw.cast_to_varchar2", "find_in_set",
  "strcmp", "pow", "power", "cos", "sin", "tan", "compress", "uncompress", "decode", "encode", "sysdate", "insert", "char_length",
  "octet_length", "soundex", "lpad", "rpad", "space", "repeat", "oct", "current_setting", "unistr", "starts_with", "format",
  "json_extract", "json_value", "json_query", "json_depth", "json_length", "json_type", "json_valid", "json_object", "json_array",
  "json_contains", "json_search", "json_unquote", "jsonb_pretty", "json_build_object", "jsonb_build_object", "to_json", "to_jsonb",
  "json_each", "jsonb_each", "jsonb_path_query", "json_array_length", "sqlite_compileoption_used", "sqlite_compileoption_get",
  "group_concat", "quote", "zeroblob", "crc32", "aes_decrypt", "des_decrypt", "des_encrypt", "uuid", "connection_id",
  "last_insert_id", "row_count", "found_rows", "current_schema", "inet_server_addr", "pg_backend_pid", "host_name", "serverproperty",
  "object_id", "object_name", "col_name", "type_name", "has_perms_by_name", "permissions", "sys_context", "rawtohex", "to_number",
  "regexp_substr", "regexp_like", "dbms_random.value", "nvl", "nvl2", "decode", "bitand", "tochar", "datalength",
]);
/** Functions a `SELECT` only reaches for in an attack: extraction and probing, not reporting. */
// oxfmt-ignore
export const PROBE_FUNCS = new Set([
  "char", "chr", "nchar", "if", "iif", "group_concat", "user", "current_user", "system_user", "session_user", "version", "database",
  "db_name", "schema", "ascii", "ord", "elt", "make_set", "unhex", "sqlite_version", "user_name", "suser_name", "has_dbaccess",
  "is_srvrolemember", "host_name", "serverproperty", "connection_id", "current_setting", "inet_server_addr", "pg_backend_pid",
  "sys_context", ...TIME_FUNCS, ...ERROR_FUNCS, ...FILE_FUNCS,
]);
// oxfmt-ignore
const META_OBJECTS = ["information_schema", "sysobjects", "syscolumns", "sys.tables", "sys.objects", "sys.databases", "pg_catalog", "pg_shadow", "pg_user", "pg_database", "pg_tables", "sqlite_master", "sqlite_schema", "sqlite_temp_master", "mysql.user", "mysql.db", "all_tables", "all_users", "all_tab_columns", "user_tables", "dba_users", "msysobjects", "msysaccessobjects", "master..sysdatabases", "master.dbo", "sys.sql_logins"];
/** Whole values that are a database's own catalog or sample-database name (what enumeration sends). */
// oxfmt-ignore
export const CATALOG_VALUES = new Set([
  ...META_OBJECTS, "tempdb", "msdb", "northwind", "schema_name", "table_name", "column_name", "table_schema", "sysusers", "syslogins",
  "sysdatabases", "pg_namespace", "pg_class", "pg_attribute", "pg_proc", "v$version", "sys.user$", "dual", "all_objects", "dba_tables",
  "user_tab_columns", "information_schema.tables", "information_schema.columns", "information_schema.schemata",
]);
/** Keywords that make a MySQL versioned comment `/*!keyword` SQL rather than a JS/CSS banner. */
export const VERSIONED_WORDS =
  /^(?:select|union|from|where|and|or|not|null|order|group|having|limit|concat|all|distinct|insert|update|delete|drop|sleep|benchmark|user|database|version|information_schema|table_name|column_name|if|case|into|procedure|load_file|char|like|xor|desc|asc|and|between|exists|substring|ascii)\b/i;
/** PostgreSQL types a cast names. */
// oxfmt-ignore
export const PG_TYPES = new Set(["int", "int2", "int4", "int8", "integer", "smallint", "bigint", "numeric", "decimal", "real", "float", "float4", "float8", "double", "bool", "boolean", "text", "varchar", "char", "character", "bpchar", "name", "json", "jsonb", "xml", "bytea", "oid", "regclass", "regproc", "regtype", "uuid", "inet", "cidr", "money", "tsvector", "tsquery", "jsonpath", "interval", "timestamp", "timestamptz", "date", "time"]);
/** Numbers that probe integer overflows / the `2.2250738585072011e-308` float-parsing hang. */
export const OVERFLOW_NUMBERS = new Set([
  "2147483648",
  "-2147483649",
  "4294967296",
  "9223372036854775808",
  "-9223372036854775809",
  "18446744073709551616",
]);
export const MAGIC_FLOAT = /^2\.225073858507201\d{0,4}e-0{0,2}308$/;

/** Whole-value checks apply to values up to this length. */
export const SHORT = 256;
/** `(7=7)*3`: a literal compared with itself, times a number (sqlmap's boolean test for an ORDER BY or LIMIT value). */
export const BOOLEAN_PRODUCT = /^\(\s{0,4}(\d{1,10})\s{0,4}=\s{0,4}\1\s{0,4}\)\s{0,4}\*\s{0,4}\d{1,10}$/;
/** What stands before a closer other than a quote (a MySQL backtick, PostgreSQL's `$$`) in an injected value: a name or a number. */
export const CLOSED_NAME = /^[\w.-]{1,32}$/;
/**
 * What follows such a closer in a breakout: a keyword that continues the statement, `=` and
 * another quoted name, `;`, or `,` and a call (`` 1`,sleep(5)# ``: a select list goes on). Not a
 * tagged template (`` sql`SELECT …` ``), a comment or a sum (`5$$ -- not bad`, `10$$ = 3 pizzas`,
 * `` James` = 5 years old ``).
 */
export const AFTER_CLOSER =
  /^(?:\s{0,8}(?:where|and|or|xor|union|order|group|having|limit|procedure|into|r?like|regexp|not|between|waitfor)\b|\s{0,4}=\s{0,4}[`'"]|\s{0,4};|\s{0,4},\s{0,4}[a-z_]\w{0,30}\s{0,4}\()/i;
