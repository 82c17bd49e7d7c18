-- ext_args: arguments are refused before anything is sent to ferryd, and
-- the errors users can hit (ferryd unreachable, an unknown flow or topic)
-- say what and why. Run by regress/t/113_pgext.pl with a ferryd mirroring
-- A->B at ferry.control_socket (postgresql.conf).
CREATE EXTENSION ferry;
\set VERBOSITY default

-- nothing can reach ferryd here: each refusal comes before any connection
SET ferry.control_socket = '/nonexistent/ferry.sock';
SELECT * FROM ferry.offset_map(NULL, 'orders', 0);
SELECT * FROM ferry.offset_map('A->B', NULL, 0);
SELECT * FROM ferry.offset_map('A->B', 'orders', NULL);
SELECT * FROM ferry.offset_map('A->B', 'orders', -1);
SELECT ferry.translate_offset('A->B', 'orders', 0, -5);
SELECT ferry.translate_offset('A->B', 'orders', 0, NULL);
SELECT * FROM ferry.translate_group('A->B', NULL);
SELECT * FROM ferry.translate_group('A->B', repeat('g', 250));
SELECT * FROM ferry.lag('');
SELECT * FROM ferry.lag('A->B x');
SELECT * FROM ferry.lag(E'A->B\n');
SELECT * FROM ferry.checkpoints('--after');
SELECT * FROM ferry.placement_check('orders', NULL);
SELECT * FROM ferry.transfers('infinity');
SELECT * FROM ferry.audit_log('-infinity');

-- ferryd unreachable
SELECT * FROM ferry.flows;
SELECT * FROM ferry.lag('A->B');
SET ferry.control_socket = 'control.sock';
SELECT * FROM ferry.flows;
SET ferry.control_socket = '/';
SELECT * FROM ferry.flows;
SET ferry.control_tls_address = 'no-port';
SELECT * FROM ferry.flows;
SET ferry.control_tls_address = '127.0.0.1:1';
SELECT * FROM ferry.flows;
SET ferry.control_tls_cert = '/nonexistent/client.pem';
SET ferry.control_tls_ca = '/nonexistent/ca.pem';
SELECT * FROM ferry.flows;
RESET ferry.control_tls_address;
RESET ferry.control_tls_cert;
RESET ferry.control_tls_ca;
RESET ferry.control_socket;

-- names ferryd does not know
SELECT * FROM ferry.lag('X->Y');
SELECT * FROM ferry.topics('X->Y');
SELECT * FROM ferry.offset_map('A->B', 'no-such-topic', 0);
SELECT * FROM ferry.offset_map('A->B', 'orders', 99);
SELECT ferry.translate_offset('X->Y', 'orders', 0, 1);
SELECT * FROM ferry.placement_check('orders', 'Z');

-- and the live answers have the declared columns
SELECT flow, source, target FROM ferry.flows;
SELECT count(*) AS partitions FROM ferry.lag('A->B') WHERE topic = 'orders';
SELECT topic, remote_topic, partitions FROM ferry.topics('A->B') WHERE topic = 'orders';

DROP EXTENSION ferry;
