#!/usr/bin/env bash
# A real three-node RabbitMQ cluster on this machine, for the cluster tests and docs/rabbitmq-cluster.md.
#
#   scripts/rabbitmq-cluster.sh start|stop|status|kill-node N|start-node N|stop-node N [options]
#
# Options (each also as an environment variable):
#   --base DIR        CAMQ_CLUSTER_BASE     where the nodes keep everything (default /tmp/camq-cluster-PREFIX-P)
#   --name PREFIX     CAMQ_CLUSTER_NAME     node names PREFIX1@localhost .. PREFIX3@localhost (default camq)
#   --port P          CAMQ_CLUSTER_PORT     AMQP ports P..P+2 (default 5681); management P+10000.., distribution P+20000..
#   --advanced FILE   CAMQ_CLUSTER_ADVANCED_CONFIG  an Erlang advanced.config every node loads (e.g. consumer_timeout
#                     and channel_tick_interval for the consumer_timeout tests)
#   --nodes N         CAMQ_CLUSTER_NODES    how many nodes (default 3)
#
# Each node has its own RABBITMQ_NODENAME, ports, RABBITMQ_MNESIA_BASE, RABBITMQ_LOG_BASE, RABBITMQ_CONFIG_FILE,
# RABBITMQ_ENABLED_PLUGINS_FILE and an empty RABBITMQ_CONF_ENV_FILE, all under DIR, so none of them reads the machine's
# /etc/rabbitmq (which would have them fight over 5672/15672). They share one Erlang cookie (DIR/.erlang.cookie, found
# through HOME=DIR) that is not the machine node's, and nodes 2..N join node 1 with `rabbitmqctl join_cluster`. Every
# rabbitmqctl here names its node with -n: the machine's own node is never touched. Run as root, the nodes run as the
# `rabbitmq` user (DIR is handed to it); run as anyone else, they run as that user.
#
# kill-node N sends SIGKILL to node N's beam process (its pid file); start-node N starts it again (it rejoins by
# itself: it is still a cluster member). `stop` stops every node and removes DIR: nothing is left running.
set -euo pipefail

cmd="${1:-}"
[ $# -gt 0 ] && shift
node_arg=""
case "$cmd" in
  kill-node | start-node | stop-node)
    node_arg="${1:-}"
    [ $# -gt 0 ] && shift
    ;;
esac

BASE="${CAMQ_CLUSTER_BASE:-}"
NAME="${CAMQ_CLUSTER_NAME:-camq}"
PORT="${CAMQ_CLUSTER_PORT:-5681}"
ADVANCED="${CAMQ_CLUSTER_ADVANCED_CONFIG:-}"
NODES="${CAMQ_CLUSTER_NODES:-3}"
while [ $# -gt 0 ]; do
  case "$1" in
    --base) BASE="$2"; shift 2 ;;
    --name) NAME="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --advanced) ADVANCED="$2"; shift 2 ;;
    --nodes) NODES="$2"; shift 2 ;;
    *) echo "rabbitmq-cluster: unknown option $1 (see the head of $0)" >&2; exit 2 ;;
  esac
done
[ -n "$BASE" ] || BASE="/tmp/camq-cluster-$NAME-$PORT"

RMQ_BIN=/usr/lib/rabbitmq/bin
[ -x "$RMQ_BIN/rabbitmq-server" ] || RMQ_BIN="$(dirname "$(readlink -f "$(command -v rabbitmq-server)")")"

if [ "$(id -u)" = 0 ]; then
  RUN_AS=(runuser -u rabbitmq --)
  OWNER=rabbitmq
else
  RUN_AS=()
  OWNER="$(id -un)"
fi

node_name() { echo "${NAME}$1@localhost"; }
node_dir() { echo "$BASE/node$1"; }
amqp_port() { echo $((PORT + $1 - 1)); }
mgmt_port() { echo $((PORT + 10000 + $1 - 1)); }
dist_port() { echo $((PORT + 20000 + $1 - 1)); }

# The environment of node $1, for rabbitmq-server and for rabbitmqctl aimed at it.
node_env() {
  local n="$1" dir
  dir="$(node_dir "$n")"
  echo env HOME="$BASE" \
    RABBITMQ_NODENAME="$(node_name "$n")" \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$(amqp_port "$n")" \
    RABBITMQ_DIST_PORT="$(dist_port "$n")" \
    RABBITMQ_MNESIA_BASE="$dir/mnesia" \
    RABBITMQ_LOG_BASE="$dir/log" \
    RABBITMQ_PID_FILE="$dir/beam.pid" \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
    RABBITMQ_CONF_ENV_FILE="$BASE/rabbitmq-env.conf" \
    ERL_EPMD_ADDRESS=127.0.0.1
}

ctl() {
  local n="$1"
  shift
  # shellcheck disable=SC2046
  "${RUN_AS[@]}" $(node_env "$n") "$RMQ_BIN/rabbitmqctl" -n "$(node_name "$n")" "$@"
}

check_node_number() {
  case "$1" in
    '' | *[!0-9]*) echo "rabbitmq-cluster: $cmd needs a node number 1..$NODES" >&2; exit 2 ;;
  esac
  if [ "$1" -lt 1 ] || [ "$1" -gt "$NODES" ]; then echo "rabbitmq-cluster: node $1 is not in 1..$NODES" >&2; exit 2; fi
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") >/dev/null 2>&1; }

beam_pid() {
  local f
  f="$(node_dir "$1")/beam.pid"
  [ -s "$f" ] || return 1
  local pid
  pid="$(cat "$f")"
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

prepare_base() {
  mkdir -p "$BASE"
  if [ ! -f "$BASE/.erlang.cookie" ]; then
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr 'a-f' 'A-F' >"$BASE/.erlang.cookie"
  fi
  : >"$BASE/rabbitmq-env.conf"
  for n in $(seq 1 "$NODES"); do
    local dir
    dir="$(node_dir "$n")"
    mkdir -p "$dir/mnesia" "$dir/log"
    {
      echo "listeners.tcp.default = $(amqp_port "$n")"
      echo "management.tcp.port = $(mgmt_port "$n")"
      echo "management.tcp.ip = 127.0.0.1"
      echo "cluster_name = ${NAME}-cluster"
      echo "log.file.level = info"
      echo "log.console = false"
    } >"$dir/rabbitmq.conf"
    echo '[rabbitmq_management].' >"$dir/enabled_plugins"
    if [ -n "$ADVANCED" ]; then cp "$ADVANCED" "$dir/advanced.config"; else echo '[].' >"$dir/advanced.config"; fi
  done
  chmod 700 "$BASE"
  chmod 400 "$BASE/.erlang.cookie"
  chown -R "$OWNER" "$BASE"
}

launch_node() {
  local n="$1" dir
  dir="$(node_dir "$n")"
  if beam_pid "$n" >/dev/null; then return 0; fi
  rm -f "$dir/beam.pid"
  # shellcheck disable=SC2046
  setsid "${RUN_AS[@]}" $(node_env "$n") "$RMQ_BIN/rabbitmq-server" >"$dir/log/stdout.log" 2>&1 </dev/null &
}

await_node() {
  local n="$1"
  for _ in $(seq 1 120); do
    if port_open "$(amqp_port "$n")" && ctl "$n" -q await_startup --timeout 5 >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  echo "rabbitmq-cluster: node $(node_name "$n") did not start; see $(node_dir "$n")/log" >&2
  tail -n 20 "$(node_dir "$n")/log/stdout.log" >&2 || true
  return 1
}

await_mgmt() {
  local n="$1"
  for _ in $(seq 1 60); do
    port_open "$(mgmt_port "$n")" && return 0
    sleep 1
  done
  echo "rabbitmq-cluster: management API of $(node_name "$n") does not answer on $(mgmt_port "$n")" >&2
  return 1
}

stop_node() {
  local n="$1" pid
  pid="$(beam_pid "$n")" || return 0
  ctl "$n" -q stop >/dev/null 2>&1 || true
  for _ in $(seq 1 30); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.5
  done
  kill -9 "$pid" 2>/dev/null || true
}

urls() {
  local list="" n
  for n in $(seq 1 "$NODES"); do
    list="${list:+$list;}amqp://guest:guest@127.0.0.1:$(amqp_port "$n")//"
  done
  echo "$list"
}

case "$cmd" in
  start)
    for n in $(seq 1 "$NODES"); do
      if port_open "$(amqp_port "$n")" && ! beam_pid "$n" >/dev/null; then
        echo "rabbitmq-cluster: port $(amqp_port "$n") is taken by another process; pick others with --port" >&2
        exit 1
      fi
    done
    prepare_base
    for n in $(seq 1 "$NODES"); do launch_node "$n"; done
    for n in $(seq 1 "$NODES"); do await_node "$n"; done
    for n in $(seq 2 "$NODES"); do
      if ! ctl "$n" -q cluster_status --formatter json 2>/dev/null | grep -q "\"$(node_name 1)\""; then
        ctl "$n" -q stop_app >/dev/null
        ctl "$n" -q join_cluster "$(node_name 1)" >/dev/null
        ctl "$n" -q start_app >/dev/null
      fi
    done
    for n in $(seq 1 "$NODES"); do await_mgmt "$n"; done
    echo "nodes: $(for n in $(seq 1 "$NODES"); do printf '%s ' "$(node_name "$n")"; done)"
    echo "CAMQ_CLUSTER_URLS=$(urls)"
    echo "management: $(for n in $(seq 1 "$NODES"); do printf 'http://127.0.0.1:%s ' "$(mgmt_port "$n")"; done)"
    ;;
  stop)
    for n in $(seq 1 "$NODES"); do stop_node "$n" & done
    wait
    # A node whose pid file went missing: find its beam by its node name and data directory (both in its
    # environment), and only that.
    for pid in $(pgrep -x beam.smp || true); do
      for n in $(seq 1 "$NODES"); do
        envs="$(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null || true)"
        if grep -qx "RABBITMQ_NODENAME=$(node_name "$n")" <<<"$envs" &&
          grep -qx "RABBITMQ_MNESIA_BASE=$(node_dir "$n")/mnesia" <<<"$envs"; then
          kill -9 "$pid" 2>/dev/null || true
        fi
      done
    done
    case "$BASE" in
      /tmp/* | /var/tmp/*) rm -rf "$BASE" ;;
      *) echo "rabbitmq-cluster: left $BASE in place (only directories under /tmp are removed)" ;;
    esac
    ;;
  status)
    for n in $(seq 1 "$NODES"); do
      if pid="$(beam_pid "$n")"; then state="running (beam pid $pid)"; else state="down"; fi
      echo "$(node_name "$n") amqp=$(amqp_port "$n") management=$(mgmt_port "$n") $state"
    done
    for n in $(seq 1 "$NODES"); do
      if beam_pid "$n" >/dev/null; then
        ctl "$n" -q cluster_status --formatter json 2>/dev/null |
          grep -o '"running_nodes":\[[^]]*\]\|"cluster_name":"[^"]*"' || true
        break
      fi
    done
    echo "CAMQ_CLUSTER_URLS=$(urls)"
    ;;
  kill-node)
    check_node_number "$node_arg"
    pid="$(beam_pid "$node_arg")" || { echo "rabbitmq-cluster: $(node_name "$node_arg") is not running" >&2; exit 1; }
    kill -9 "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    echo "killed $(node_name "$node_arg") (beam pid $pid)"
    ;;
  start-node)
    check_node_number "$node_arg"
    launch_node "$node_arg"
    await_node "$node_arg"
    await_mgmt "$node_arg"
    echo "started $(node_name "$node_arg")"
    ;;
  stop-node)
    check_node_number "$node_arg"
    stop_node "$node_arg"
    echo "stopped $(node_name "$node_arg")"
    ;;
  *)
    echo "usage: $0 start|stop|status|kill-node N|start-node N|stop-node N [--base DIR] [--name PREFIX] [--port P] [--advanced FILE] [--nodes N]" >&2
    exit 2
    ;;
esac
