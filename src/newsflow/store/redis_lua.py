"""The Lua scripts of the near-duplicate index and the story state in Redis
(`newsflow.store.redis_index` calls them; `newsflow.store.redis_claim_lua` joins the index's
and the term statistics' functions into the decision's first script).

Each script is one atomic step on the server: the functions (`INDEX_FUNCTION`,
`TERMS_FUNCTION`, `CENTROID_FUNCTION`, `CANDIDATES_FUNCTION`) are Lua `local function`s
that the scripts (`INDEX_SIGNATURE`, `TERM_STATISTICS`, `INDEX_AND_TERM_STATISTICS`,
`STORY_CANDIDATES`, `STORIES_PAGE`, `COMMIT`) prepend to their bodies. The keys they reach
are listed in `newsflow.store.redis_index`.
"""

from __future__ import annotations

INDEX_FUNCTION = """
-- Index the signature of `id` (once) under its band keys and return the earlier entries
-- sharing a band within the window of `at`, each as {article, at, seq, signature}. keys: the
-- signature's hash, the sequence counter, the day bucket of `at`, then the other day buckets
-- within the window. A day bucket is one hash: band key -> the ids indexed under it that
-- day, space-separated, so a band lookup over the window is one HMGET per day and an insert
-- one HSET, however many bands.
local function index_signature(keys, id, at_text, sig, window, prefix, bands)
    local at = tonumber(at_text)
    local seq = redis.call('HGET', keys[1], 'seq')
    local fresh = not seq
    if fresh then
        seq = redis.call('INCR', keys[2])
        redis.call('HSET', keys[1], 'seq', seq, 'at', at_text, 'sig', sig)
        redis.call('EXPIRE', keys[1], window)
    end
    seq = tonumber(seq)
    local low, high = at - window, at + window
    local seen, out, own = {[id] = true}, {}, nil
    for i = 3, #keys do
        local lists = redis.call('HMGET', keys[i], unpack(bands))
        if i == 3 then own = lists end
        for b = 1, #bands do
            if lists[b] then
                for m in string.gmatch(lists[b], '%S+') do
                    if not seen[m] then
                        seen[m] = true
                        local v = redis.call('HMGET', prefix .. 'sig:' .. m, 'seq', 'at', 'sig')
                        local t = tonumber(v[2])
                        if v[1] and tonumber(v[1]) < seq and t >= low and t <= high then
                            out[#out + 1] = {m, v[2], v[1], v[3]}
                        end
                    end
                end
            end
        end
    end
    if fresh then
        local fields = {}
        for b = 1, #bands do
            fields[2 * b - 1] = bands[b]
            fields[2 * b] = own[b] and (own[b] .. ' ' .. id) or id
        end
        redis.call('HSET', keys[3], unpack(fields))
        redis.call('EXPIRE', keys[3], window)
    end
    return out
end
"""

TERMS_FUNCTION = """
-- Documents and per-term document frequencies summed over the day buckets `days`, as a
-- reply of integers ({documents, {frequencies}}; as JSON, cjson would format every number).
local function term_statistics(prefix, terms, days)
    local docs, dfs = 0, {}
    for k = 1, #terms do dfs[k] = 0 end
    for _, day in ipairs(days) do
        docs = docs + tonumber(redis.call('GET', prefix .. 'dfn:' .. day) or '0')
        for s = 1, #terms, 500 do
            local vals = redis.call('HMGET', prefix .. 'df:' .. day,
                unpack(terms, s, math.min(s + 499, #terms)))
            for k = 1, #vals do
                if vals[k] then dfs[s + k - 1] = dfs[s + k - 1] + tonumber(vals[k]) end
            end
        end
    end
    return {docs, dfs}
end
"""

INDEX_SIGNATURE = (
    INDEX_FUNCTION
    + """
return index_signature(KEYS, ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5],
    cjson.decode(ARGV[6]))
"""
)

TERM_STATISTICS = (
    TERMS_FUNCTION
    + """
return term_statistics(ARGV[1], cjson.decode(ARGV[2]), cjson.decode(ARGV[3]))
"""
)

# Both in one call: the placement's first round trip.
INDEX_AND_TERM_STATISTICS = (
    INDEX_FUNCTION
    + TERMS_FUNCTION
    + """
local entries = index_signature(KEYS, ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5],
    cjson.decode(ARGV[6]))
return {entries, term_statistics(ARGV[5], cjson.decode(ARGV[7]), cjson.decode(ARGV[8]))}
"""
)

CENTROID_FUNCTION = """
-- A story's centroid (term -> summed weight) is one MessagePack map in `<story>:cv`: read and
-- written whole, which costs Redis a fraction of a sorted set's per-term work and memory. A
-- centroid kept as a sorted set (`<story>:c`, before this form) is read from it instead, and
-- replaced at the story's next join. A centroid read once in a script call (to score it) is
-- not unpacked again to join it: unpacking is a tenth of Redis's time per article.
local centroids_read = {}
local function load_centroid(key)
    local read = centroids_read[key]
    if read then return read[1], read[2] end
    local raw = redis.call('GET', key .. ':cv')
    local centroid, legacy = {}, false
    if raw then
        centroid = cmsgpack.unpack(raw)
    else
        local pairs_ = redis.call('ZRANGE', key .. ':c', 0, -1, 'WITHSCORES')
        for j = 1, #pairs_, 2 do centroid[pairs_[j]] = tonumber(pairs_[j + 1]) end
        legacy = #pairs_ > 0
    end
    centroids_read[key] = {centroid, legacy}
    return centroid, legacy
end

-- Add the weights to the centroid, keep its `keep` heaviest terms (of equal weights, those
-- last by name, as a sorted set trimmed by rank would) and store it; returns its squared norm.
local function join_centroid(key, terms, weights, keep, ttl)
    local centroid, legacy = load_centroid(key)
    for k = 1, #terms do centroid[terms[k]] = (centroid[terms[k]] or 0) + weights[k] end
    local all = {}
    for _, w in pairs(centroid) do all[#all + 1] = w end
    local over = #all - keep
    if over > 0 then
        table.sort(all)
        local cut, dropped, tied = all[over], 0, {}
        for term, w in pairs(centroid) do
            if w < cut then
                centroid[term] = nil
                dropped = dropped + 1
            elseif w == cut then
                tied[#tied + 1] = term
            end
        end
        table.sort(tied)
        for j = 1, over - dropped do centroid[tied[j]] = nil end
    end
    local norm2 = 0
    for _, w in pairs(centroid) do norm2 = norm2 + w * w end
    redis.call('SET', key .. ':cv', cmsgpack.pack(centroid), 'EX', ttl)
    if legacy then redis.call('DEL', key .. ':c') end
    return norm2
end
"""

CANDIDATES_FUNCTION = (
    CENTROID_FUNCTION
    + """
-- The `limit` stories indexed under most of `index` (ties: by id) and joined since `since`
-- (of each term, the `postings` joined last), each as {id, size, first_seen, last_seen,
-- cosine of the unit vector (vterms, vweights) to the story's centroid}: the centroids never
-- leave Redis. Arguments that Redis commands take are passed on as strings: Redis formats a
-- Lua number with snprintf for every command it is given to (5% of its time per article).
local function candidates(prefix, since, limit, vterms, vweights, index, postings)
    local nv = #vterms
    local hits = {}
    for k = 1, #index do
        local sids = redis.call('ZREVRANGEBYSCORE', prefix .. 'sidx:' .. index[k], '+inf',
            since, 'LIMIT', '0', postings)
        for i = 1, #sids do
            local s = sids[i]
            hits[s] = (hits[s] or 0) + 1
        end
    end
    -- The best `limit` (most hits, then the lowest id), kept in one pass over the counts with
    -- their hits beside them: a full sort of every story met cost milliseconds once the index
    -- held 100k articles, and most stories met fall short of the last kept at its first test.
    local best, kept, n = {}, {}, 0
    if limit >= 1 then
        for s, h in pairs(hits) do
            if n < limit or h > kept[n] or (h == kept[n] and s < best[n]) then
                local pos = n
                if n < limit then n = n + 1; pos = n end
                while pos > 1 do
                    local above, h_above = best[pos - 1], kept[pos - 1]
                    if h_above > h or (h_above == h and above < s) then break end
                    best[pos], kept[pos] = above, h_above
                    pos = pos - 1
                end
                best[pos], kept[pos] = s, h
            end
        end
    end
    local out = {}
    for k = 1, #best do
        local key = prefix .. 'story:' .. best[k]
        local meta = redis.call('HMGET', key, 'size', 'first_seen', 'last_seen', 'norm2')
        if meta[1] then
            local norm = tonumber(meta[4] or '0')
            local dot = 0
            if nv > 0 and norm > 0 then
                local centroid = load_centroid(key)
                for j = 1, nv do
                    local w = centroid[vterms[j]]
                    if w then dot = dot + vweights[j] * w end
                end
                dot = dot / math.sqrt(norm)
            end
            out[#out + 1] = {best[k], meta[1], tonumber(meta[2]), tonumber(meta[3]), dot}
        end
    end
    return out
end
"""
)

STORY_CANDIDATES = (
    CANDIDATES_FUNCTION
    + """
local found = candidates(ARGV[1], ARGV[2], tonumber(ARGV[3]), cjson.decode(ARGV[4]),
    cjson.decode(ARGV[5]), cjson.decode(ARGV[6]), ARGV[7])
for _, row in ipairs(found) do
    for j = 3, 5 do row[j] = string.format('%.17g', row[j]) end
end
return found
"""
)

STORIES_PAGE = """
local rows = redis.call('ZREVRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[2], 'WITHSCORES', 'LIMIT',
    ARGV[3], ARGV[4])
local page = {}
for i = 1, #rows, 2 do
    page[#page + 1] = rows[i]
    page[#page + 1] = rows[i + 1]
    page[#page + 1] = redis.call('HGET', ARGV[5] .. rows[i], 'size') or false
end
return page
"""
"""A page of `top_stories`: ids, last-joined scores and sizes, `ARGV[4]` of them from the
`ARGV[3]`-th with a score from `ARGV[1]` down to `ARGV[2]`."""

COMMIT = (
    CANDIDATES_FUNCTION
    + """
local existing = redis.call('GET', KEYS[1])
if existing then return existing end
if ARGV[3] ~= '1' then
    redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
    return ARGV[1]
end
local prefix, sid, at, source, title = ARGV[4], ARGV[5], tonumber(ARGV[6]), ARGV[7], ARGV[8]
local keep, ttl, ttl_text, day = tonumber(ARGV[9]), tonumber(ARGV[10]), ARGV[10], ARGV[11]
local counted, index = cjson.decode(ARGV[12]), cjson.decode(ARGV[15])
local cterms, cweights = cjson.decode(ARGV[13]), cjson.decode(ARGV[14])
local depth = ARGV[16]
local decision = ARGV[1]
if ARGV[17] == '1' then
    -- Choose the story (as `records.best_story`): the first of the most similar candidates
    -- joined within the window of `at`, from the threshold; else the update's own.
    local window, threshold = tonumber(ARGV[20]), tonumber(ARGV[18])
    local found = candidates(prefix, tostring(at - window), tonumber(ARGV[19]), cterms,
        cweights, index, ARGV[21])
    local best, score = nil, 0
    for _, row in ipairs(found) do
        if math.min(math.abs(at - row[4]), math.abs(at - row[3])) <= window and row[5] > score
        then best, score = row[1], row[5] end
    end
    if best and score >= threshold and best ~= sid then
        sid = best
        local d = cjson.decode(decision)
        d['story_id'] = sid
        decision = cjson.encode(d)
    end
end
redis.call('SET', KEYS[1], decision, 'EX', ARGV[2])
local dfkey = prefix .. 'df:' .. day
for k = 1, #counted do redis.call('HINCRBY', dfkey, counted[k], '1') end
redis.call('EXPIRE', dfkey, ttl_text)
redis.call('INCR', prefix .. 'dfn:' .. day)
redis.call('EXPIRE', prefix .. 'dfn:' .. day, ttl_text)
local skey = prefix .. 'story:' .. sid
local first = redis.call('HGET', skey, 'first_seen')
if not first then
    redis.call('HSET', skey, 'first_seen', ARGV[6], 'last_seen', ARGV[6], 'title', title)
else
    if at < tonumber(first) then redis.call('HSET', skey, 'first_seen', ARGV[6]) end
    if at > tonumber(redis.call('HGET', skey, 'last_seen')) then
        redis.call('HSET', skey, 'last_seen', ARGV[6])
    end
end
redis.call('HINCRBY', skey, 'size', '1')
redis.call('SADD', skey .. ':src', source)
if #cterms > 0 then
    local norm2 = join_centroid(skey, cterms, cweights, keep, ttl_text)
    redis.call('HSET', skey, 'norm2', string.format('%.17g', norm2))
end
local last = redis.call('HGET', skey, 'last_seen')
local oldest = '(' .. tostring(tonumber(last) - ttl)
-- The story index scores a story by the second after its last join, an integer: most of
-- these sorted sets are small and kept as listpacks, where a fractional score is a string
-- that every insert, trim and search parses again (strtod) for each entry it passes. A
-- second early or late only matters at the window's edge, where the candidates' own
-- first and last joins are checked again.
local second = string.format('%d', math.ceil(tonumber(last)))
-- Only the stories joined last under a term are ever read, so each term keeps `depth` of
-- them (the rest could never rank among those read again before they join anew). Up to 128
-- entries a sorted set stays a listpack, one block of memory: at a 100k-article index the
-- search's reads cost a third of what they cost in a skiplist, whose nodes are cache misses.
local beyond = '-' .. tostring(tonumber(depth) + 1)
for k = 1, #index do
    local ik = prefix .. 'sidx:' .. index[k]
    local added = redis.call('ZADD', ik, second, sid)
    redis.call('ZREMRANGEBYSCORE', ik, '-inf', oldest)
    -- a story already under the term (its score moved) leaves the set no larger than it was
    if added > 0 and redis.call('ZREMRANGEBYRANK', ik, '0', beyond) > 1 then
        -- a term's every story, as stores kept them before this trim, in a skiplist that
        -- shrinking does not turn back into a listpack: stored anew, it becomes one
        redis.call('ZRANGESTORE', ik, ik, '0', '-1')
    end
    redis.call('EXPIRE', ik, ttl_text)
end
redis.call('ZADD', prefix .. 'stories', last, sid)
redis.call('ZREMRANGEBYSCORE', prefix .. 'stories', '-inf', oldest)
redis.call('EXPIRE', prefix .. 'stories', ttl_text)
for _, key in ipairs({skey, skey .. ':src'}) do redis.call('EXPIRE', key, ttl_text) end
return decision
"""
)
