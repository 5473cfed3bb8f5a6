"""The type names dbt-postgres compares contracts with: psycopg2's type-caster name for each built-in type
oid (several PostgreSQL types share one: int2 and int4 are INTEGER, text/varchar/char are STRING, which dbt
shows as TEXT), learnt by running dbt-postgres 1.11. So `text` matches `varchar(10)`, `int` matches
`smallint` and `numeric(10,2)` matches `numeric(12,2)`, while `integer` and `bigint` differ."""

from __future__ import annotations

_GROUPS: dict[str, tuple[int, ...]] = {
    "BINARY": (17,), "BINARYARRAY": (1001,), "BOOLEAN": (16,), "BOOLEANARRAY": (1000,), "CIDRARRAY": (651,),
    "DATE": (1082,), "DATEARRAY": (1182,), "DATETIME": (1114,), "DATETIMEARRAY": (1115,), "DATETIMETZ": (1184,),
    "DATETIMETZARRAY": (1185,), "DECIMAL": (1700,), "DECIMALARRAY": (1231,), "FLOAT": (700, 701),
    "FLOATARRAY": (1021, 1022), "INETARRAY": (1041,), "INTEGER": (21, 23), "INTEGERARRAY": (1005, 1006, 1007),
    "INTERVAL": (704, 1186), "INTERVALARRAY": (1187,), "JSON": (114,), "JSONARRAY": (199,), "JSONB": (3802,),
    "JSONBARRAY": (3807,), "LONGINTEGER": (20,), "LONGINTEGERARRAY": (1016,), "MACADDRARRAY": (1040,),
    "ROWID": (26,), "ROWIDARRAY": (1013, 1028), "TEXT": (18, 19, 25, 1042, 1043),
    "STRINGARRAY": (1002, 1003, 1009, 1014, 1015), "TIME": (1083, 1266), "TIMEARRAY": (1183, 1270),
    "UNKNOWN": (705,), "daterange": (3912,), "daterangeARRAY": (3913,), "tsrange": (3908,),
    "tsrangeARRAY": (3909,), "tstzrange": (3910,), "tstzrangeARRAY": (3911,), "type": (3904, 3906, 3926),
    "typeARRAY": (3905, 3907, 3927),
}
LABELS: dict[int, str] = {oid: label for label, oids in _GROUPS.items() for oid in oids}


def contract_type(oid: int) -> str:
    return LABELS.get(oid, f"unknown type_code {oid}")
