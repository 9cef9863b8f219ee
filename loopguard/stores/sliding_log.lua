-- loopguard: read and (optionally) record one event under each of KEYS, atomically, or
-- take one recorded event back.
--
-- ARGV[1]  now, exactly as the client formatted it (stored verbatim, so no precision
--          is lost to Lua's number formatting, and a refund finds it again by value)
-- ARGV[2]  "1" to record the event (hit), "0" to only read (peek), "-1" to remove one
--          entry equal to now (refund: a reserved answer that was never sent)
-- then, per key i: ARGV[1 + 2i] = window in seconds, ARGV[2 + 2i] = how many to keep.
--
-- Each key is a LIST of timestamps, newest first, trimmed to `keep` entries and set to
-- expire one window after its last event. Returns, per key, the timestamps newer than
-- now - window as they were before this event. A key listed twice sees its first touch.
local now = tonumber(ARGV[1])
local record = ARGV[2] == "1"
local answers = {}
if ARGV[2] == "-1" then
  for i, key in ipairs(KEYS) do
    redis.call("LREM", key, 1, ARGV[1])
    answers[i] = {}
  end
  return answers
end
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[1 + 2 * i])
  local keep = tonumber(ARGV[2 + 2 * i])
  local horizon = now - window
  local live = {}
  for _, stamp in ipairs(redis.call("LRANGE", key, 0, keep - 1)) do
    if tonumber(stamp) > horizon then
      live[#live + 1] = stamp
    end
  end
  if record then
    redis.call("LPUSH", key, ARGV[1])
    redis.call("LTRIM", key, 0, keep - 1)
    redis.call("PEXPIRE", key, math.ceil(window * 1000))
  end
  answers[i] = live
end
return answers
