#!/bin/sh
# causeway-entrypoint — the image's one entry point (docker/Dockerfile, docker/compose.yaml).
#
#   chain        init the home on first start (skipped when genesis.json exists), then run
#                causeway-chain on 0.0.0.0
#   setup        one-shot, once both chains answer: relayer config, clients, channel and the
#                collateral registration on the lending chain; every step is skipped when
#                already done, so running it again is harmless
#   hub-setup    the same for the three-chain hub (docker/compose.hub.yaml): a collateral
#                and a transfer path from each spoke chain to the lending chain, a config of
#                every path for one relayer and one config per path
#   relayer      causeway-relayer start (waits for setup's config to name a channel)
#   keeper       causeway keeper on the lending chain, /metrics on 0.0.0.0:9465
#   healthcheck  causeway healthz $CAUSEWAY_HEALTHZ_URL (the image's HEALTHCHECK)
#   anything else is run as given (causeway query status --node ws://alpha:26657, sh, ...)
#
# Configuration is by environment (names below, defaults in brackets) or by mounted files:
# a chain home with its own genesis.json/config.json, or a relayer config at
# $CAUSEWAY_RELAYER_CONFIG that already names its clients and channel.
set -eu

log() { echo "causeway-entrypoint: $*" >&2; }

# ---- chain ------------------------------------------------------------------------------
# CAUSEWAY_HOME [/data]  CAUSEWAY_CHAIN_ID (required on first start)  CAUSEWAY_PORT [26657]
# CAUSEWAY_ACCOUNTS [alice,bob,relayer]  CAUSEWAY_DENOMS [stake]  CAUSEWAY_MARKET [] (an asset, or
#   a comma list of assets: one lending market each, the first the price unit)
# CAUSEWAY_AMOUNT []  CAUSEWAY_VALIDATORS []  CAUSEWAY_BLOCK_INTERVAL_MS []
# CAUSEWAY_LISTEN [0.0.0.0] (read by causeway-chain itself)
chain() {
  home=${CAUSEWAY_HOME:-/data}
  port=${CAUSEWAY_PORT:-26657}
  if [ ! -e "$home/genesis.json" ]; then
    : "${CAUSEWAY_CHAIN_ID:?CAUSEWAY_CHAIN_ID is required to create $home}"
    log "first start: creating $home for chain $CAUSEWAY_CHAIN_ID"
    set -- --home "$home" --chain-id "$CAUSEWAY_CHAIN_ID" --port "$port" \
      --accounts "${CAUSEWAY_ACCOUNTS:-alice,bob,relayer}" --denoms "${CAUSEWAY_DENOMS:-stake}"
    [ -n "${CAUSEWAY_MARKET:-}" ] && set -- "$@" --market "$CAUSEWAY_MARKET"
    [ -n "${CAUSEWAY_AMOUNT:-}" ] && set -- "$@" --amount "$CAUSEWAY_AMOUNT"
    [ -n "${CAUSEWAY_VALIDATORS:-}" ] && set -- "$@" --validators "$CAUSEWAY_VALIDATORS"
    [ -n "${CAUSEWAY_BLOCK_INTERVAL_MS:-}" ] &&
      set -- "$@" --block-interval-ms "$CAUSEWAY_BLOCK_INTERVAL_MS"
    causeway-chain init "$@" >/dev/null
  fi
  exec causeway-chain start --home "$home" --listen "${CAUSEWAY_LISTEN:-0.0.0.0}" --port "$port"
}

# ---- setup ------------------------------------------------------------------------------
# CAUSEWAY_RELAYER_CONFIG [/relayer/relayer.json]  CAUSEWAY_RELAYER_DB [/relayer/relayer.db]
# CAUSEWAY_A_ID [alpha] CAUSEWAY_A_RPC [ws://alpha:26657] CAUSEWAY_A_HOME [/chains/alpha]
# CAUSEWAY_B_ID [beta]  CAUSEWAY_B_RPC [ws://beta:26657]  CAUSEWAY_B_HOME [/chains/beta]
#   (a chain's home is read for keys/: the relayer's key on both, the admin's on B)
# CAUSEWAY_A_TRUST_ROOT, CAUSEWAY_B_TRUST_ROOT [] ("HEIGHT:HASH" the clients start from;
#   without them create-clients trusts the chains' current headers and says so loudly)
# CAUSEWAY_RELAYER_KEY [relayer]  CAUSEWAY_ADMIN_KEY [admin]
# CAUSEWAY_COLLATERAL_DENOM [stake] (A's denom registered as collateral on B)
# CAUSEWAY_COLLATERAL_LTV_BPS [5000] _LT_BPS [8000] _BONUS_BPS [500]
# CAUSEWAY_SETUP_WAIT_S [120] (how long to wait for both chains to answer)
cfg_file() { echo "${CAUSEWAY_RELAYER_CONFIG:-/relayer/relayer.json}"; }

# end_field END FIELD [FILE]: the value of paths[0].END.FIELD in the relayer config FILE
# [$(cfg_file)] (the relayer writes it back indented, one field a line; setup writes it the
# same way).
end_field() {
  awk -v end="\"$1\":" -v field="\"$2\":" '
    $1 == end { inside = 1; next }
    inside && $1 == field { v = $2; gsub(/[",]/, "", v); print v; exit }
    inside && /}/ { inside = 0 }' "${3:-$(cfg_file)}"
}

wait_chain() {
  url=$1 deadline=$(( $(date +%s) + ${CAUSEWAY_SETUP_WAIT_S:-120} ))
  until causeway query status --node "$url" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || { log "no answer from $url"; exit 1; }
    sleep 1
  done
}

# The relayer config, one writer for the two-chain setup and the hub's: chain_json ID RPC
# KEY_FILE [TRUST_ROOT] and path_json NAME VERSION PORT A B [CHAN_A CLIENT_A CHAN_B CLIENT_B]
# print one entry each; config_json CHAINS PATHS DB prints the whole file (CHAINS and PATHS:
# the entries, comma-separated).
chain_json() {
  trust=""
  [ -n "${4:-}" ] && trust=",
      \"trust_root\": \"$4\""
  cat <<JSON
    {
      "id": "$1",
      "rpc": "$2",
      "key_file": "$3"$trust
    }
JSON
}

path_json() {
  cat <<JSON
    {
      "name": "$1",
      "version": "$2",
      "ordering": "unordered",
      "a": {
        "chain": "$4",
        "port": "$3",
        "channel": "${6:-}",
        "client": "${7:-}"
      },
      "b": {
        "chain": "$5",
        "port": "$3",
        "channel": "${8:-}",
        "client": "${9:-}"
      }
    }
JSON
}

config_json() {
  cat <<JSON
{
  "chains": [
$1
  ],
  "paths": [
$2
  ],
  "batch_size": 100,
  "rpc_timeout_ms": 10000,
  "tx_timeout_ms": 60000,
  "db_path": "$3",
  "metrics_addr": "0.0.0.0:9464",
  "log_level": "info"
}
JSON
}

# write_json FILE: stdin to FILE, atomically
write_json() {
  mkdir -p "$(dirname "$1")"
  cat >"$1.tmp"
  mv "$1.tmp" "$1"
}

write_config() {
  key=${CAUSEWAY_RELAYER_KEY:-relayer}
  config_json "$(chain_json "$A_ID" "$A_RPC" "$A_HOME/keys/$key.json" "${CAUSEWAY_A_TRUST_ROOT:-}"),
$(chain_json "$B_ID" "$B_RPC" "$B_HOME/keys/$key.json" "${CAUSEWAY_B_TRUST_ROOT:-}")" \
    "$(path_json p0 collateral-1 collateral "$A_ID" "$B_ID")" \
    "${CAUSEWAY_RELAYER_DB:-/relayer/relayer.db}" | write_json "$(cfg_file)"
}

# register_collateral CHANNEL DENOM LTV LT BONUS RPC HOME: DENOM arriving over CHANNEL
# registered as collateral on the lending chain at RPC by its admin (keys in HOME/keys);
# a marker beside the relayer config remembers it was done
register_collateral() {
  mark="$(dirname "$(cfg_file)")/registered-$1-$2"
  if [ -e "$mark" ]; then
    log "collateral $1/$2 already registered"
    return 0
  fi
  log "registering collateral $1/$2: LTV $3, liquidation threshold $4, bonus $5 (bps)"
  if out=$(causeway tx register-collateral --channel "$1" --denom "$2" --ltv "$3" --lt "$4" \
        --bonus "$5" --from "${CAUSEWAY_ADMIN_KEY:-admin}" --node "$6" --keyring "$7/keys" 2>&1) ||
     echo "$out" | grep -q 'already registered'; then
    touch "$mark"
  else
    echo "$out" >&2
    exit 1
  fi
}

setup() {
  A_ID=${CAUSEWAY_A_ID:-alpha} A_RPC=${CAUSEWAY_A_RPC:-ws://alpha:26657}
  A_HOME=${CAUSEWAY_A_HOME:-/chains/alpha}
  B_ID=${CAUSEWAY_B_ID:-beta} B_RPC=${CAUSEWAY_B_RPC:-ws://beta:26657}
  B_HOME=${CAUSEWAY_B_HOME:-/chains/beta}
  cfg=$(cfg_file)
  wait_chain "$A_RPC"
  wait_chain "$B_RPC"
  if [ -e "$cfg" ]; then log "using $cfg"; else log "writing $cfg"; write_config; fi
  if [ -z "$(end_field a client)" ] || [ -z "$(end_field b client)" ]; then
    log "creating clients"
    causeway-relayer create-clients --config "$cfg"
  else
    log "clients exist: $A_ID $(end_field a client), $B_ID $(end_field b client)"
  fi
  if [ -z "$(end_field a channel)" ] || [ -z "$(end_field b channel)" ]; then
    log "creating the collateral channel"
    causeway-relayer create-channel --config "$cfg"
  else
    log "channel exists: $A_ID $(end_field a channel), $B_ID $(end_field b channel)"
  fi
  chan_b=$(end_field b channel)
  denom=${CAUSEWAY_COLLATERAL_DENOM:-stake}
  register_collateral "$chan_b" "$denom" "${CAUSEWAY_COLLATERAL_LTV_BPS:-5000}" \
    "${CAUSEWAY_COLLATERAL_LT_BPS:-8000}" "${CAUSEWAY_COLLATERAL_BONUS_BPS:-500}" "$B_RPC" "$B_HOME"
  log "done: path $A_ID/$(end_field a channel) <-> $B_ID/$chan_b, collateral $denom"
}

# ---- hub-setup --------------------------------------------------------------------------
# The hub (docker/compose.hub.yaml, DESIGN §10): each spoke chain gets a `collateral` and a
# `transfer` channel to the lending chain, and its denom is registered there as collateral.
# CAUSEWAY_HUB [beta]  CAUSEWAY_SPOKES [alpha:stake,gamma:atom] (ID:DENOM, comma-separated)
#   chain ID's RPC is ws://ID:26657 and its home (keys/) /chains/ID
# CAUSEWAY_COLLATERAL_<DENOM> [5000:8000:500] (LTV:LT:BONUS in bps; DENOM upper-cased)
# CAUSEWAY_TRUST_ROOT_<ID> [] ("HEIGHT:HASH"; ID upper-cased; unset: current headers, loudly)
# Writes, beside CAUSEWAY_RELAYER_CONFIG [/relayer/relayer.json]:
#   paths/ID-PORT.json  one path each, signed by the key rly-ID-PORT on both chains, its own
#                       db paths/ID-PORT.db: for one relayer per path (the per-path services);
#                       create-clients and create-channel run on these (each idempotent)
#   relayer.json        every chain and every path with those ids, the key `relayer`: for
#                       the one relayer of all paths
# upper WORD: WORD upper-cased, other characters than [A-Z0-9] as _
upper() { echo "$1" | tr 'a-z' 'A-Z' | tr -c 'A-Z0-9\n' '_'; }
env_of() { eval "echo \"\${$1:-}\""; }

hub_setup() {
  hub=${CAUSEWAY_HUB:-beta} spokes=${CAUSEWAY_SPOKES:-alpha:stake,gamma:atom}
  cfg=$(cfg_file) dir=$(dirname "$(cfg_file)")
  hub_rpc=ws://$hub:26657 hub_home=/chains/$hub
  hub_trust=$(env_of "CAUSEWAY_TRUST_ROOT_$(upper "$hub")")
  wait_chain "$hub_rpc"
  chains="" paths=""
  for spoke in $(echo "$spokes" | tr ',' ' '); do
    id=${spoke%%:*} denom=${spoke#*:}
    rpc=ws://$id:26657 home=/chains/$id
    trust=$(env_of "CAUSEWAY_TRUST_ROOT_$(upper "$id")")
    wait_chain "$rpc"
    chains="$chains$(chain_json "$id" "$rpc" "$home/keys/relayer.json" "$trust"),
"
    for port in collateral transfer; do
      name=$id-$port one=$dir/paths/$name.json
      version=collateral-1
      [ "$port" = transfer ] && version=ics20-1
      if [ ! -e "$one" ]; then
        log "writing $one"
        config_json "$(chain_json "$id" "$rpc" "$home/keys/rly-$name.json" "$trust"),
$(chain_json "$hub" "$hub_rpc" "$hub_home/keys/rly-$name.json" "$hub_trust")" \
          "$(path_json "$name" "$version" "$port" "$id" "$hub")" "$dir/paths/$name.db" |
          write_json "$one"
      fi
      log "path $name: clients and channel"
      causeway-relayer create-clients --config "$one" >&2
      causeway-relayer create-channel --config "$one" >&2
      [ -n "$paths" ] && paths="$paths,
"
      paths="$paths$(path_json "$name" "$version" "$port" "$id" "$hub" \
        "$(end_field a channel "$one")" "$(end_field a client "$one")" \
        "$(end_field b channel "$one")" "$(end_field b client "$one")")"
      log "path $name: $id/$(end_field a channel "$one") <-> $hub/$(end_field b channel "$one")"
    done
    params=$(env_of "CAUSEWAY_COLLATERAL_$(upper "$denom")")
    params=${params:-5000:8000:500}
    ltv=${params%%:*} rest=${params#*:}
    register_collateral "$(end_field b channel "$dir/paths/$id-collateral.json")" "$denom" \
      "$ltv" "${rest%%:*}" "${rest#*:}" "$hub_rpc" "$hub_home"
  done
  chains="$chains$(chain_json "$hub" "$hub_rpc" "$hub_home/keys/relayer.json" "$hub_trust")"
  config_json "$chains" "$paths" "${CAUSEWAY_RELAYER_DB:-$dir/relayer.db}" | write_json "$cfg"
  log "done: $cfg relays every path; $dir/paths/*.json one path each"
}

# ---- relayer ----------------------------------------------------------------------------
relayer() {
  cfg=$(cfg_file)
  if [ ! -e "$cfg" ] || [ -z "$(end_field b channel)" ]; then
    log "$cfg names no channel: run the setup service first"
    exit 1
  fi
  exec causeway-relayer start --config "$cfg"
}

# ---- keeper -----------------------------------------------------------------------------
# CAUSEWAY_KEEPER_NODE [ws://beta:26657]  CAUSEWAY_KEEPER_HOME [/chains/beta] (its keys/)
# CAUSEWAY_KEEPER_FROM [keeper]  CAUSEWAY_KEEPER_METRICS_PORT [9465]
# CAUSEWAY_KEEPER_TRUST_ROOT [] ("HEIGHT:HASH"; unset: the node's current header, loudly)
keeper() {
  set -- --from "${CAUSEWAY_KEEPER_FROM:-keeper}" --node "${CAUSEWAY_KEEPER_NODE:-ws://beta:26657}" \
    --keyring "${CAUSEWAY_KEEPER_HOME:-/chains/beta}/keys" \
    --metrics-host 0.0.0.0 --metrics-port "${CAUSEWAY_KEEPER_METRICS_PORT:-9465}"
  [ -n "${CAUSEWAY_KEEPER_TRUST_ROOT:-}" ] && set -- "$@" --trust-root "$CAUSEWAY_KEEPER_TRUST_ROOT"
  exec causeway keeper "$@"
}

case "${1:-}" in
  chain) chain ;;
  setup) setup ;;
  hub-setup) hub_setup ;;
  relayer) relayer ;;
  keeper) keeper ;;
  healthcheck) exec causeway healthz "${CAUSEWAY_HEALTHZ_URL:-http://127.0.0.1:${CAUSEWAY_PORT:-26657}/healthz}" ;;
  "") log "usage: chain | setup | hub-setup | relayer | keeper | healthcheck | COMMAND [ARGS]"; exit 2 ;;
  *) exec "$@" ;;
esac
