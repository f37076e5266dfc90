#!/bin/sh
# causeway-entrypoint — the image's one entry point (docker/Dockerfile, docker/compose.yaml).
#
#   chain        init the home on first start (skipped when genesis.json exists), then run
#                causeway-chain on 0.0.0.0
#   setup        one-shot, once both chains answer: relayer config, clients, channel and the
#                collateral registration on the lending chain; every step is skipped when
#                already done, so running it again is harmless
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

# end_field END FIELD: the value of paths[0].END.FIELD in the relayer config (the relayer
# writes it back indented, one field a line; setup writes it the same way).
end_field() {
  awk -v end="\"$1\":" -v field="\"$2\":" '
    $1 == end { inside = 1; next }
    inside && $1 == field { v = $2; gsub(/[",]/, "", v); print v; exit }
    inside && /}/ { inside = 0 }' "$(cfg_file)"
}

wait_chain() {
  url=$1 deadline=$(( $(date +%s) + ${CAUSEWAY_SETUP_WAIT_S:-120} ))
  until causeway query status --node "$url" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || { log "no answer from $url"; exit 1; }
    sleep 1
  done
}

write_config() {
  cfg=$(cfg_file) key=${CAUSEWAY_RELAYER_KEY:-relayer}
  mkdir -p "$(dirname "$cfg")"
  trust_a="" trust_b=""
  [ -n "${CAUSEWAY_A_TRUST_ROOT:-}" ] && trust_a=",
      \"trust_root\": \"$CAUSEWAY_A_TRUST_ROOT\""
  [ -n "${CAUSEWAY_B_TRUST_ROOT:-}" ] && trust_b=",
      \"trust_root\": \"$CAUSEWAY_B_TRUST_ROOT\""
  cat >"$cfg.tmp" <<JSON
{
  "chains": [
    {
      "id": "$A_ID",
      "rpc": "$A_RPC",
      "key_file": "$A_HOME/keys/$key.json"$trust_a
    },
    {
      "id": "$B_ID",
      "rpc": "$B_RPC",
      "key_file": "$B_HOME/keys/$key.json"$trust_b
    }
  ],
  "paths": [
    {
      "name": "p0",
      "version": "collateral-1",
      "ordering": "unordered",
      "a": {
        "chain": "$A_ID",
        "port": "collateral",
        "channel": "",
        "client": ""
      },
      "b": {
        "chain": "$B_ID",
        "port": "collateral",
        "channel": "",
        "client": ""
      }
    }
  ],
  "batch_size": 100,
  "rpc_timeout_ms": 10000,
  "tx_timeout_ms": 60000,
  "db_path": "${CAUSEWAY_RELAYER_DB:-/relayer/relayer.db}",
  "metrics_addr": "0.0.0.0:9464",
  "log_level": "info"
}
JSON
  mv "$cfg.tmp" "$cfg"
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
  mark="$(dirname "$cfg")/registered-$chan_b-$denom"
  if [ -e "$mark" ]; then
    log "collateral $chan_b/$denom already registered on $B_ID"
  else
    log "registering collateral $chan_b/$denom on $B_ID"
    if out=$(causeway tx register-collateral --channel "$chan_b" --denom "$denom" \
          --ltv "${CAUSEWAY_COLLATERAL_LTV_BPS:-5000}" --lt "${CAUSEWAY_COLLATERAL_LT_BPS:-8000}" \
          --bonus "${CAUSEWAY_COLLATERAL_BONUS_BPS:-500}" --from "${CAUSEWAY_ADMIN_KEY:-admin}" \
          --node "$B_RPC" --keyring "$B_HOME/keys" 2>&1) ||
       echo "$out" | grep -q 'already registered'; then
      touch "$mark"
    else
      echo "$out" >&2
      exit 1
    fi
  fi
  log "done: path $A_ID/$(end_field a channel) <-> $B_ID/$chan_b, collateral $denom"
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
  relayer) relayer ;;
  keeper) keeper ;;
  healthcheck) exec causeway healthz "${CAUSEWAY_HEALTHZ_URL:-http://127.0.0.1:${CAUSEWAY_PORT:-26657}/healthz}" ;;
  "") log "usage: chain | setup | relayer | keeper | healthcheck | COMMAND [ARGS]"; exit 2 ;;
  *) exec "$@" ;;
esac
