-- wrk script: every response must be 200 with exactly the file's bytes
local path = os.getenv("WRK_EXPECT")
local f = assert(io.open(path, "rb"))
local expect = f:read("*a")
f:close()
local threads = {}
bad = 0
good = 0

function setup(thread)
	table.insert(threads, thread)
end

function response(status, headers, body)
	if status == 200 and body == expect then
		good = good + 1
	else
		bad = bad + 1
	end
end

function done(summary, latency, requests)
	local g, b = 0, 0
	for _, t in ipairs(threads) do
		g = g + t:get("good")
		b = b + t:get("bad")
	end
	io.write(string.format("WRK-CHECK good %d bad %d\n", g, b))
end
