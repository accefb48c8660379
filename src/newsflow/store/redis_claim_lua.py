"""The Lua scripts of the Redis store's exact-dedup claim and of the lines' counts (learned
boilerplate), and the decision's first script, which joins them with the near-duplicate
index's and the term statistics' functions (`newsflow.store.redis_lua`) in one round trip;
`newsflow.store.redis` calls them.
"""

from __future__ import annotations

from newsflow.store.redis_lua import INDEX_FUNCTION, TERMS_FUNCTION

# First writer wins: SET NX EX, then report whoever holds the key. One key, so it is atomic
# and valid in Redis Cluster; plain SET NX (not SET NX GET) keeps it working on Redis 6.
CLAIM_SCRIPT = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
    return ARGV[1]
end
return redis.call('GET', KEYS[1])
"""

# The same claim, then (with `mark_key`) a mark naming the owner (SET NX EX):
# before .. owner .. after. Both keys derive from the prefix, so a hash-tagged prefix keeps
# them in one Cluster slot.
CLAIM_FUNCTION = """
local function claim(claim_key, mark_key, owner, ttl, before, after, lines)
    local holder = owner
    if not redis.call('SET', claim_key, owner, 'NX', 'EX', ttl) then
        holder = redis.call('GET', claim_key)
    end
    if mark_key then
        redis.call('SET', mark_key, before .. holder .. after, 'NX', 'EX', ttl)
        if lines ~= '' then
            redis.call('SET', mark_key .. ':lines', lines, 'NX', 'EX', ttl)  -- LINES_SUFFIX
        end
    end
    return holder
end
"""
CLAIM_AND_MARK_SCRIPT = (
    CLAIM_FUNCTION + "return claim(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])"
)

# Give back an article's claim (`release_claim`), unless its decision is stored (KEYS[5]):
# the claim (KEYS[1]) if the article (ARGV[1]) holds it, the mark (KEYS[2]) and its lines
# (KEYS[3]) if the mark holds the article's value (ARGV[3]; ARGV[2] '1': there is a mark), and
# the article's signature (KEYS[4]; the day buckets' lists keep its id, and a lookup skips an
# id without a signature, as when the signature expired). Returns 1 when the claim was
# released.
RELEASE_SCRIPT = """
if redis.call('EXISTS', KEYS[5]) == 1 then return 0 end
local released = 0
if redis.call('GET', KEYS[1]) == ARGV[1] then
    redis.call('DEL', KEYS[1])
    released = 1
end
if ARGV[2] == '1' and redis.call('GET', KEYS[2]) == ARGV[3] then
    redis.call('DEL', KEYS[2], KEYS[3])
end
redis.call('DEL', KEYS[4])
return released
"""

# Count a document once per line of a source. A line's first sighting is remembered in Bloom
# filters (`LineFilters`), so only a line seen again gets a counter key: INCRed (from 2: the
# first sighting is the filter's) and its TTL refreshed, or, for a document seen before, only
# read. `spec`: the filters, newest first, the newest one's TTL, items (the document, then its
# lines) and bits per item; the last ARGV are every item's BITFIELD GET arguments, then its SET
# arguments, made by the caller (every replica) rather than here (the one Redis). A new
# document's items are set in the newest filter. Counters left by the form before the filters
# are read and counted on. Keys derive from `base`, the source's key base, and from the prefix
# (the filters).
OBSERVE_LINES_FUNCTION = """
local function sighted(spec, first)
    local seen = {}
    local per, chunk = 3 * spec.hashes, 768 * spec.hashes
    local last = first + spec.items * per - 1
    for f = 1, #spec.filters do
        for from = first, last, chunk do
            local to = math.min(from + chunk - 1, last)
            local bits = redis.call('BITFIELD_RO', spec.filters[f], unpack(ARGV, from, to))
            local before = (from - first) / per
            for i = 0, (to - from + 1) / per - 1 do
                local all = true
                for j = i * spec.hashes + 1, (i + 1) * spec.hashes do
                    if bits[j] == 0 then all = false break end
                end
                if all then seen[before + i + 1] = true end
            end
        end
    end
    return seen
end
local function remember(spec, first)
    local chunk = 1024 * spec.hashes
    local last = first + spec.items * 4 * spec.hashes - 1
    for from = first, last, chunk do
        local to = math.min(from + chunk - 1, last)
        redis.call('BITFIELD', spec.filters[1], unpack(ARGV, from, to))
    end
    redis.call('EXPIRE', spec.filters[1], spec.expire)
end
local function observe_lines(base, ttl, spec, lines)
    local first = #ARGV - spec.items * spec.hashes * 7 + 1
    local seen = sighted(spec, first)
    local new = not seen[1]
    local counts = {}
    for k = 1, #lines do
        local key = base .. lines[k]
        if not seen[k + 1] then
            counts[k] = new and 1 or 0
        elseif new then
            counts[k] = redis.call('INCR', key)
            if counts[k] == 1 then counts[k] = redis.call('INCR', key) end
            redis.call('EXPIRE', key, ttl)
        else
            counts[k] = tonumber(redis.call('GET', key) or '1')
        end
    end
    if new then remember(spec, first + spec.items * spec.hashes * 3) end
    return counts
end
"""
OBSERVE_LINES_SCRIPT = (
    OBSERVE_LINES_FUNCTION
    + "return observe_lines(ARGV[1], ARGV[2], cjson.decode(ARGV[3]), cjson.decode(ARGV[4]))"
)

# `begin_decision`: observe the lines; unless one recurs, claim (with the mark: KEYS[1],
# KEYS[2]); if the article holds the claim, index its signature (KEYS[3..]) and read its
# terms' statistics. ARGV: lines base, lines TTL, filters spec, lines, recurring_at, owner,
# claim TTL, has mark, mark before, mark after, has index, then the index call's arguments
# and the terms call's.
BEGIN_DECISION_SCRIPT = (
    OBSERVE_LINES_FUNCTION
    + CLAIM_FUNCTION
    + INDEX_FUNCTION
    + TERMS_FUNCTION
    + """
local counts = observe_lines(ARGV[1], ARGV[2], cjson.decode(ARGV[3]), cjson.decode(ARGV[4]))
local recurring_at = tonumber(ARGV[5])
for k = 1, #counts do
    if counts[k] >= recurring_at then
        if redis.call('GET', KEYS[1]) ~= ARGV[6] then
            if ARGV[8] ~= '1' then return {counts} end
            return {counts, false, redis.call('GET', KEYS[2]),
                redis.call('GET', KEYS[2] .. ':lines')}  -- LINES_SUFFIX
        end
        break  -- a redelivery of an article that claimed the whole text: it keeps it
    end
end
local mark_key = nil
if ARGV[8] == '1' then mark_key = KEYS[2] end
local owner = claim(KEYS[1], mark_key, ARGV[6], ARGV[7], ARGV[9], ARGV[10], '')
if owner ~= ARGV[6] or ARGV[11] ~= '1' then return {counts, owner} end
local entries = index_signature({unpack(KEYS, 3)}, ARGV[12], ARGV[13], ARGV[14],
    tonumber(ARGV[15]), ARGV[16], cjson.decode(ARGV[17]))
return {counts, owner, entries, term_statistics(ARGV[16], cjson.decode(ARGV[18]),
    cjson.decode(ARGV[19]))}
"""
)
