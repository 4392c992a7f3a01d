#!/usr/bin/env bash
# A throwaway Elasticsearch node for the tests: the integ-test distribution from Maven Central (fetched with
# mvn, unpacked once under var/), run with the newest JDK on the machine (installed here when missing).
#   scripts/es.sh start   -> prints the node's URL on stdout
#   scripts/es.sh stop
# CROSSTRUST_ES_PORT, CROSSTRUST_ES_HEAP (1g) and CROSSTRUST_ES_JAVA_OPTS (more JVM options) configure it.
set -euo pipefail
cd "$(dirname "$0")/.."
# The server's major must match the Python client's (elasticsearch 9.x).
VERSION=${CROSSTRUST_ES_VERSION:-9.5.2}
PORT=${CROSSTRUST_ES_PORT:-59200}
HEAP=${CROSSTRUST_ES_HEAP:-1g}
MIN_JAVA=21
CACHE=$PWD/var/elasticsearch
DIST=$CACHE/$VERSION
M2_REPO=${CROSSTRUST_M2_REPO:-$HOME/.m2/repository}
ARTIFACT=org.elasticsearch.distribution.integ-test-zip:elasticsearch:$VERSION:zip
ZIP=$M2_REPO/org/elasticsearch/distribution/integ-test-zip/elasticsearch/$VERSION/elasticsearch-$VERSION.zip
# Outside the work tree: the node runs as another user, who must be able to reach the folder.
BASE=${CROSSTRUST_ES_DIR:-${TMPDIR:-/tmp}/crosstrust-es-$PORT}
DATA=$BASE/data-$VERSION
LOGS=$BASE/logs
CONF=$BASE/config
PIDFILE=$BASE/es.pid
LOG=$LOGS/crosstrust.log
INSTALL_LOG=$CACHE/install.log
ES_USER=crosstrust-es
URL=http://127.0.0.1:$PORT

say() { echo "es.sh: $*" >&2; }
die() { say "$*"; exit 1; }

APT_UPDATED=""
apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if [ -z "$APT_UPDATED" ]; then $sudo apt-get update -qq >&2; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >&2
}

need() { # need COMMAND DEBIAN_PACKAGE
  command -v "$1" >/dev/null 2>&1 && return 0
  say "$1 not found; installing Debian's $2 package"
  apt_install "$2"
}

java_major() { # the feature version of the JDK in $1 (8 for 1.8)
  local v
  v=$(sed -n 's/^JAVA_VERSION="\(.*\)"/\1/p' "$1/release" 2>/dev/null || true)
  [ -n "$v" ] || v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p')
  v=${v#1.}
  echo "${v%%[!0-9]*}"
}

newest_jdk() { # prints "MAJOR DIR" of the newest JDK (java and javac) under /usr/lib/jvm
  local d best="" major=0 m
  for d in /usr/lib/jvm/*/; do
    d=$(realpath "$d")
    [ -x "$d/bin/java" ] && [ -x "$d/bin/javac" ] || continue
    m=$(java_major "$d")
    [ -n "$m" ] && [ "$m" -gt "$major" ] && { major=$m; best=$d; }
  done
  [ -n "$best" ] && echo "$major $best"
}

# Elasticsearch 9 needs Java 21+, and the integ-test distribution bundles no JDK.
find_jdk() {
  local found pkg
  if [ -n "${ES_JAVA_HOME:-}" ] && [ -x "$ES_JAVA_HOME/bin/javac" ] && [ "$(java_major "$ES_JAVA_HOME")" -ge "$MIN_JAVA" ]; then
    echo "$ES_JAVA_HOME"; return
  fi
  found=$(newest_jdk || true)
  if [ -z "$found" ] || [ "${found%% *}" -lt "$MIN_JAVA" ]; then
    say "no JDK $MIN_JAVA+ under /usr/lib/jvm (newest: ${found:-none}); looking for one in Debian's packages"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    [ -n "$APT_UPDATED" ] || { $sudo apt-get update -qq >&2; APT_UPDATED=1; }
    pkg=$(apt-cache pkgnames openjdk- | grep -E '^openjdk-[0-9]+-jdk-headless$' | sort -t- -k2,2n | tail -n 1 || true)
    local pm=${pkg#openjdk-}
    pm=${pm%%-*}
    if [ -z "$pkg" ] || [ "$pm" -lt "$MIN_JAVA" ]; then
      die "Elasticsearch $VERSION needs a JDK $MIN_JAVA+ (with javac); none under /usr/lib/jvm and Debian offers ${pkg:-no openjdk package} - install one there or set ES_JAVA_HOME"
    fi
    apt_install "$pkg"
    found=$(newest_jdk || true)
    [ -n "$found" ] && [ "${found%% *}" -ge "$MIN_JAVA" ] || die "installed $pkg but found no JDK $MIN_JAVA+ under /usr/lib/jvm"
  fi
  echo "${found#* }"
}

# The integ-test distribution has only the core modules: no analysis-common (so no cjk analyzer) and no
# rest-root (so no GET / and HEAD /, which the Python client's info() and ping() call). Two small plugins,
# compiled here against the distribution's own jars, fill in those two:
#  - crosstrust-cjk, on the stable plugin API: the cjk analyzer (Lucene's CJKAnalyzer, CJK bigrams, as in
#    analysis-common) and the cjk_bigram and cjk_width token filters;
#  - crosstrust-root, a classic plugin: the root endpoint with the same body as rest-root's.
build_plugins() { # build_plugins ES_HOME JDK
  local home=$1 jdk=$2 src cp
  src=$(mktemp -d)
  mkdir -p "$src/cjk/crosstrust/cjk" "$src/root/crosstrust/root" "$src/classes-cjk" "$src/classes-root"
  cat >"$src/cjk/crosstrust/cjk/Cjk.java" <<'EOF'
package crosstrust.cjk;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.cjk.CJKAnalyzer;
import org.apache.lucene.analysis.cjk.CJKBigramFilter;
import org.apache.lucene.analysis.cjk.CJKWidthFilter;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.AnalyzerFactory;
import org.elasticsearch.plugin.analysis.TokenFilterFactory;

public final class Cjk {
    private Cjk() {}

    @NamedComponent("cjk")
    public static final class Analyzers implements AnalyzerFactory {
        @Override
        public Analyzer create() {
            return new CJKAnalyzer();
        }
    }

    @NamedComponent("cjk_bigram")
    public static final class Bigrams implements TokenFilterFactory {
        @Override
        public TokenStream create(TokenStream in) {
            return new CJKBigramFilter(in);
        }
    }

    @NamedComponent("cjk_width")
    public static final class Width implements TokenFilterFactory {
        @Override
        public TokenStream create(TokenStream in) {
            return new CJKWidthFilter(in);
        }

        @Override
        public TokenStream normalize(TokenStream in) {
            return new CJKWidthFilter(in);
        }
    }
}
EOF
  cat >"$src/root/crosstrust/root/RootPlugin.java" <<'EOF'
package crosstrust.root;

import java.util.Collection;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.elasticsearch.Build;
import org.elasticsearch.client.internal.node.NodeClient;
import org.elasticsearch.cluster.ClusterState;
import org.elasticsearch.cluster.node.DiscoveryNodes;
import org.elasticsearch.cluster.service.ClusterService;
import org.elasticsearch.features.NodeFeature;
import org.elasticsearch.plugins.ActionPlugin;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.rest.RestChannel;
import org.elasticsearch.rest.RestHandler;
import org.elasticsearch.rest.RestRequest;
import org.elasticsearch.rest.RestResponse;
import org.elasticsearch.rest.RestStatus;
import org.elasticsearch.xcontent.XContentBuilder;

public class RootPlugin extends Plugin implements ActionPlugin {
    private volatile ClusterService clusterService;

    @Override
    public Collection<?> createComponents(PluginServices services) {
        clusterService = services.clusterService();
        return List.of();
    }

    @Override
    public Collection<RestHandler> getRestHandlers(
        RestHandlersServices services, Supplier<DiscoveryNodes> nodes, Predicate<NodeFeature> features) {
        return List.of(new Root());
    }

    private final class Root implements RestHandler {
        @Override
        public List<Route> routes() {
            return List.of(new Route(RestRequest.Method.GET, "/"), new Route(RestRequest.Method.HEAD, "/"));
        }

        @Override
        public void handleRequest(RestRequest request, RestChannel channel, NodeClient client) throws Exception {
            ClusterState state = clusterService.state();
            Build build = Build.current();
            XContentBuilder body = channel.newBuilder();
            body.startObject()
                .field("name", clusterService.getNodeName())
                .field("cluster_name", state.getClusterName().value())
                .field("cluster_uuid", state.metadata().clusterUUID())
                .startObject("version")
                .field("number", build.qualifiedVersion())
                .field("build_flavor", "default")
                .field("build_type", build.type().displayName())
                .field("build_hash", build.hash())
                .field("build_date", build.date())
                .field("build_snapshot", build.isSnapshot())
                .field("lucene_version", org.apache.lucene.util.Version.LATEST.toString())
                .field("minimum_wire_compatibility_version", build.minWireCompatVersion())
                .field("minimum_index_compatibility_version", build.minIndexCompatVersion())
                .endObject()
                .field("tagline", "You Know, for Search")
                .endObject();
            channel.sendResponse(new RestResponse(RestStatus.OK, body));
        }
    }
}
EOF
  cp=$(ls "$home"/lib/*.jar | paste -sd:)
  # (Called in a || list, where set -e does not apply: each step checks for itself.)
  "$jdk/bin/javac" --release "$MIN_JAVA" -proc:none -nowarn -cp "$cp" -d "$src/classes-cjk" \
    "$src/cjk/crosstrust/cjk/Cjk.java" >&2 || return 1
  mkdir -p "$home/plugins/crosstrust-cjk" || return 1
  "$jdk/bin/jar" cf "$home/plugins/crosstrust-cjk/crosstrust-cjk.jar" -C "$src/classes-cjk" . || return 1
  cat >"$home/plugins/crosstrust-cjk/stable-plugin-descriptor.properties" <<EOF
description=cjk analyzer and cjk_bigram/cjk_width token filters (Lucene) for CrossTrust's local test node
version=$VERSION
name=crosstrust-cjk
java.version=$MIN_JAVA
elasticsearch.version=$VERSION
EOF
  cat >"$home/plugins/crosstrust-cjk/named_components.json" <<'EOF'
{
  "org.elasticsearch.plugin.analysis.AnalyzerFactory": {"cjk": "crosstrust.cjk.Cjk$Analyzers"},
  "org.elasticsearch.plugin.analysis.TokenFilterFactory": {
    "cjk_bigram": "crosstrust.cjk.Cjk$Bigrams",
    "cjk_width": "crosstrust.cjk.Cjk$Width"
  }
}
EOF
  # The root endpoint uses server internals that may move between versions: without it, only info()
  # and ping() are missing, so a failed build is a warning (install_dist says it).
  if "$jdk/bin/javac" --release "$MIN_JAVA" -proc:none -nowarn -cp "$cp" -d "$src/classes-root" \
    "$src/root/crosstrust/root/RootPlugin.java" >&2; then
    mkdir -p "$home/plugins/crosstrust-root"
    "$jdk/bin/jar" cf "$home/plugins/crosstrust-root/crosstrust-root.jar" -C "$src/classes-root" .
    cat >"$home/plugins/crosstrust-root/plugin-descriptor.properties" <<EOF
description=GET / and HEAD / (the root info endpoint) for CrossTrust's local test node
version=$VERSION
name=crosstrust-root
classname=crosstrust.root.RootPlugin
java.version=$MIN_JAVA
elasticsearch.version=$VERSION
EOF
  else
    echo "could not build crosstrust-root for $VERSION" >&2
  fi
  rm -rf "$src"
}

# Fetches and unpacks the distribution into var/elasticsearch/VERSION once; later runs reuse it.
install_dist() { # install_dist JDK
  local jdk=$1 tmp
  [ -x "$DIST/bin/elasticsearch" ] && [ -f "$DIST/plugins/crosstrust-cjk/crosstrust-cjk.jar" ] && return 0
  mkdir -p "$CACHE"
  if [ ! -f "$ZIP" ]; then
    need mvn maven
    say "fetching $ARTIFACT from Maven Central (log: $INSTALL_LOG)"
    mvn -B -q -Dstyle.color=never -Dmaven.repo.local="$M2_REPO" dependency:get -Dartifact="$ARTIFACT" \
      -Dtransitive=false >"$CACHE/mvn.log" 2>&1 || {
      cat "$CACHE/mvn.log" >>"$INSTALL_LOG"
      sed 's/\x1b\[[0-9;]*m//g' "$CACHE/mvn.log" | grep -E 'Could not|Failed to execute|Unknown host|timed out' |
        cut -c1-400 | head -n 3 >&2 || true
      die "could not fetch $ARTIFACT with mvn (full output: $INSTALL_LOG); pick another version with CROSSTRUST_ES_VERSION"
    }
    cat "$CACHE/mvn.log" >>"$INSTALL_LOG"
    rm -f "$CACHE/mvn.log"
    [ -f "$ZIP" ] || die "mvn reported success but $ZIP is missing"
  fi
  need unzip unzip
  tmp=$(mktemp -d "$CACHE/.unpack.XXXXXX")
  unzip -q "$ZIP" -d "$tmp" || { rm -rf "$tmp"; die "could not unpack $ZIP"; }
  build_plugins "$tmp/elasticsearch-$VERSION" "$jdk" 2>>"$INSTALL_LOG" \
    || { rm -rf "$tmp"; tail -n 20 "$INSTALL_LOG" >&2; die "could not build the cjk analysis plugin"; }
  [ -d "$tmp/elasticsearch-$VERSION/plugins/crosstrust-root" ] ||
    say "warning: could not build the root endpoint plugin for $VERSION (see $INSTALL_LOG): GET / will answer 405"
  # The node's user reads the distribution; it writes nothing there (config, data, logs live in $BASE).
  chmod -R a+rX "$tmp"
  rm -rf "$DIST"
  mv "$tmp/elasticsearch-$VERSION" "$DIST"
  rm -rf "$tmp"
}

# Elasticsearch refuses to run as root; as root we run it as a system user made for it.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$ES_USER" -- "$@"
  else
    "$@"
  fi
}

running_pid() { # the node's pid, when the pid file names a live Elasticsearch process
  local pid
  pid=$(cat "$PIDFILE" 2>/dev/null || true)
  [ -n "$pid" ] && grep -qa org.elasticsearch "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}

LOG_FROM=1 # the first line of $LOG that this start wrote
fail() { # the log's tail, then its errors (the cause sits above a long stack trace)
  local f=$LOG from=$LOG_FROM
  [ -n "$(tail -n +"$from" "$f" 2>/dev/null | head -c 1)" ] || { f=$LOGS/launcher.log; from=1; }
  if [ -s "$f" ]; then
    echo "--- tail of $f" >&2
    tail -n +"$from" "$f" | tail -n 30 >&2
    echo "--- errors in $f" >&2
    tail -n +"$from" "$f" | grep -E '\]\[(ERROR|FATAL)|^[A-Za-z0-9_.$]+(Exception|Error)\b|^Caused by|^ERROR' | tail -n 12 >&2 || true
  fi
  say "$*"
  exit 1
}

start() {
  local jdk home deadline pid
  # Two start runs at once (or a start during a stop) would race over the pid file: one at a time.
  exec 9>"$BASE.lock"
  flock -w 600 9 || die "another es.sh holds $BASE.lock"
  need curl curl
  jdk=$(find_jdk)
  install_dist "$jdk"
  if [ "$(id -u)" -eq 0 ]; then
    id "$ES_USER" >/dev/null 2>&1 ||
      useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$ES_USER"
  fi
  mkdir -p "$BASE" "$DATA" "$LOGS" "$CONF" "$BASE/tmp"
  home=$DIST
  if ! as_owner test -x "$DIST/bin/elasticsearch" -a -r "$DIST/lib/elasticsearch-$VERSION.jar" 2>/dev/null; then
    # The work tree is out of the node user's reach: run a copy from $BASE.
    home=$BASE/home-$VERSION
    [ -x "$home/bin/elasticsearch" ] || { rm -rf "$home.tmp"; cp -a "$DIST" "$home.tmp"; mv "$home.tmp" "$home"; }
  fi
  deadline=$((SECONDS + 120))
  pid=$(running_pid || true)
  if [ -z "$pid" ]; then
    rm -f "$PIDFILE"
    cp -R "$home/config/." "$CONF/"
    cat >"$CONF/elasticsearch.yml" <<EOF
cluster.name: crosstrust
node.name: crosstrust-es
path.data: $DATA
path.logs: $LOGS
network.host: 127.0.0.1
http.port: $PORT
discovery.type: single-node
xpack.security.enabled: false
# A fuller disk must not turn the test indices read-only.
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: false
EOF
    printf -- '-Xms%s\n-Xmx%s\n' "$HEAP" "$HEAP" >"$CONF/jvm.options.d/crosstrust.options"
    # More JVM options, one per word (scripts/test.sh gives the tests' node its own).
    [ -z "${CROSSTRUST_ES_JAVA_OPTS:-}" ] || printf -- '%s\n' $CROSSTRUST_ES_JAVA_OPTS >>"$CONF/jvm.options.d/crosstrust.options"
    [ "$(id -u)" -eq 0 ] && chown -R "$ES_USER:" "$BASE" && chmod 755 "$BASE"
    : >"$LOGS/launcher.log"
    if [ -f "$LOG" ]; then LOG_FROM=$(($(wc -l <"$LOG") + 1)); fi
    [ "$(id -u)" -eq 0 ] && chown "$ES_USER:" "$LOGS/launcher.log"
    say "starting Elasticsearch $VERSION on $URL with $jdk (logs: $LOGS)"
    # -d returns once the node has started (or failed to); its own log tells why.
    (cd "$BASE" && as_owner env ES_JAVA_HOME="$jdk" ES_PATH_CONF="$CONF" ES_TMPDIR="$BASE/tmp" \
      timeout 120 "$home/bin/elasticsearch" -d -p "$PIDFILE" >>"$LOGS/launcher.log" 2>&1) ||
      { stop_node; fail "Elasticsearch did not start"; }
  fi
  until curl -fsS -o /dev/null --max-time 10 "$URL/_cluster/health?wait_for_status=yellow&timeout=5s" 2>/dev/null; do
    if [ -z "$(running_pid || true)" ]; then fail "Elasticsearch exited"; fi
    if [ "$SECONDS" -ge "$deadline" ]; then stop_node; fail "Elasticsearch not healthy after 120 s"; fi
    sleep 1
  done
  echo "$URL"
}

stop_node() {
  local pid
  pid=$(running_pid || true)
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 120); do
      [ -d "/proc/$pid" ] || break
      sleep 0.5
    done
    [ -d "/proc/$pid" ] && { say "Elasticsearch (pid $pid) ignored SIGTERM for 60 s; killing it"; kill -KILL "$pid" 2>/dev/null || true; }
  fi
  rm -f "$PIDFILE"
}

stop() {
  [ -d "$BASE" ] || exit 0
  exec 9>"$BASE.lock"
  flock -w 600 9 || die "another es.sh holds $BASE.lock"
  stop_node
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
