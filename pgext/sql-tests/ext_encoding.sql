-- ext_encoding: ferryd's protocol is UTF-8 JSON; a name argument it cannot
-- carry is refused before anything is sent, never left out of the command
-- (`show lag` without its FLOW would answer for every flow).
\set orig :DBNAME
CREATE DATABASE regress_ferry_ascii ENCODING 'SQL_ASCII' TEMPLATE template0
    LC_COLLATE 'C' LC_CTYPE 'C';
\c regress_ferry_ascii
CREATE EXTENSION ferry;
\set VERBOSITY default
SET ferry.control_socket = '/nonexistent/ferry.sock';
SELECT * FROM ferry.lag(E'A->\xff');
SELECT ferry.translate_offset('A->B', E'orders\xe9', 0, 1);
-- a name that is UTF-8 goes on to ferryd (unreachable here)
SELECT * FROM ferry.lag('A->B');
\c :orig
DROP DATABASE regress_ferry_ascii;
