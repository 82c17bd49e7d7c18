#!/usr/bin/env bash
# make demo / make demo-stop: two local single-broker Kafka clusters (KRaft,
# from the jars `make deps` fetched), ferryd mirroring A->B, records produced
# into A and shown arriving in B. Everything lives in $FERRY_DEMO_DIR
# (default ~/.cache/ferry/demo) and keeps running until `make demo-stop`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${FERRY_DEMO_DIR:-${FERRY_CACHE:-$HOME/.cache/ferry}/demo}
build=${FERRY_BUILD:-$root/build/release}
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$root/regress/kafka/pom.xml")
libs=${FERRY_CACHE:-$HOME/.cache/ferry}/kafka-$version/libs
kt=$build/kt
port_a=${FERRY_DEMO_PORT_A:-19092}
port_b=${FERRY_DEMO_PORT_B:-29092}

say() { printf 'demo: %s\n' "$*"; }

stop_pidfile() {
	local f=$1
	[ -f "$f" ] || return 0
	local pid
	pid=$(cat "$f")
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$f"
}

stop() {
	stop_pidfile "$dir/ferryd.pid"
	stop_pidfile "$dir/A/broker.pid"
	stop_pidfile "$dir/B/broker.pid"
	say "stopped (state and logs kept in $dir)"
}

start_broker() {
	local name=$1 port=$2 cport=$(($2 + 1)) d=$dir/$1
	if [ -f "$d/broker.pid" ] && kill -0 "$(cat "$d/broker.pid")" 2>/dev/null; then
		return 0
	fi
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		echo "demo: port $port is taken; set FERRY_DEMO_PORT_$name" >&2
		exit 1
	fi
	mkdir -p "$d"
	cat >"$d/server.properties" <<-PROPS
	process.roles=broker,controller
	node.id=1
	controller.quorum.voters=1@127.0.0.1:$cport
	listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
	advertised.listeners=PLAINTEXT://127.0.0.1:$port
	controller.listener.names=CONTROLLER
	listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
	inter.broker.listener.name=PLAINTEXT
	log.dirs=$d/data
	offsets.topic.replication.factor=1
	transaction.state.log.replication.factor=1
	transaction.state.log.min.isr=1
	group.initial.rebalance.delay.ms=0
	auto.create.topics.enable=false
	PROPS
	cat >"$d/log4j.properties" <<-PROPS
	log4j.rootLogger=INFO, file
	log4j.appender.file=org.apache.log4j.FileAppender
	log4j.appender.file.File=$d/broker.log
	log4j.appender.file.layout=org.apache.log4j.PatternLayout
	log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
	PROPS
	if [ ! -f "$d/data/meta.properties" ]; then
		java -cp "$libs/*" -Dlog4j.configuration="file:$d/log4j.properties" \
			kafka.tools.StorageTool format -t "$(java -cp "$libs/*" kafka.tools.StorageTool random-uuid 2>/dev/null)" \
			-c "$d/server.properties" >/dev/null
	fi
	nohup java -Xmx384m -Xms64m -XX:+UseSerialGC -cp "$libs/*" \
		-Dlog4j.configuration="file:$d/log4j.properties" kafka.Kafka "$d/server.properties" \
		>"$d/broker.out" 2>&1 &
	echo $! >"$d/broker.pid"
}

start() {
	mkdir -p "$dir"
	say "starting Kafka cluster A on 127.0.0.1:$port_a and B on 127.0.0.1:$port_b"
	start_broker A "$port_a"
	start_broker B "$port_b"
	"$kt" -b "127.0.0.1:$port_a" wait-ready --timeout 90
	"$kt" -b "127.0.0.1:$port_b" wait-ready --timeout 90

	cat >"$dir/mm2.properties" <<-PROPS
	# a plain MirrorMaker 2 file: ferryd reads it unchanged
	clusters = A, B
	A.bootstrap.servers = 127.0.0.1:$port_a
	B.bootstrap.servers = 127.0.0.1:$port_b
	A->B.enabled = true
	A->B.topics = orders.*
	replication.factor = 1
	heartbeats.topic.replication.factor = 1
	checkpoints.topic.replication.factor = 1
	offset-syncs.topic.replication.factor = 1
	refresh.topics.interval.seconds = 5
	ferry.appliance.name = demo
	ferry.control.socket = $dir/control.sock
	ferry.metrics.listen = 127.0.0.1:${FERRY_DEMO_METRICS_PORT:-19464}
	PROPS
	"$build/ferryd" --check-config "$dir/mm2.properties"

	if ! { [ -f "$dir/ferryd.pid" ] && kill -0 "$(cat "$dir/ferryd.pid")" 2>/dev/null; }; then
		nohup "$build/ferryd" --state-dir "$dir/state" "$dir/mm2.properties" \
			>>"$dir/ferryd.log" 2>&1 &
		echo $! >"$dir/ferryd.pid"
	fi
	say "ferryd is running (pid $(cat "$dir/ferryd.pid")), log: $dir/ferryd.log"

	"$kt" -b "127.0.0.1:$port_a" topics | grep -q '^orders' ||
		"$kt" -b "127.0.0.1:$port_a" create orders 3
	local before
	before=$("$kt" -b "127.0.0.1:$port_a" count orders)
	say "producing 10000 sequence-numbered records into orders on A"
	# stamped now: replication-latency-ms and record-age-ms then read true
	"$kt" -b "127.0.0.1:$port_a" produce orders --count 10000 --start "$before" --now
	local want=$((before + 10000)) got=0
	for _ in $(seq 1 120); do
		got=$("$kt" -b "127.0.0.1:$port_b" count A.orders 2>/dev/null || echo 0)
		[ "$got" -ge "$want" ] && break
		sleep 0.5
	done
	say "A.orders on B holds $got of $want records"
	"$kt" -b "127.0.0.1:$port_b" seqcheck A.orders --count "$want"
	say "ferryd's view:"
	"$build/ferry" -s "$dir/control.sock" show flows
	say "first records on B:"
	{ "$kt" -b "127.0.0.1:$port_b" dump A.orders || true; } | head -3 | cut -c1-120
	cat <<-EOT

	ferry demo is running:
	  clusters   A 127.0.0.1:$port_a, B 127.0.0.1:$port_b (logs in $dir/A, $dir/B)
	  ferryd     $dir/ferryd.log, state in $dir/state, config $dir/mm2.properties
	  shell      $build/ferry -s $dir/control.sock        (then: show flows, show lag, ?)
	  metrics    http://127.0.0.1:${FERRY_DEMO_METRICS_PORT:-19464}/metrics
	  try        $kt -b 127.0.0.1:$port_a produce orders --count 1000 --start $want --now
	             $build/ferry -s $dir/control.sock show lag
	stop it with: make demo-stop
	EOT
}

case ${1:-start} in
start) start ;;
stop) stop ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
