-- SPDX-License-Identifier: BSD-3-Clause
-- sipwall under pktgen-dpdk: replay a SIP mix (classic pcap from bench/traffic/sipgen.py) from pktgen's port 0
-- into sipwall's outside port, step the rate, and read back what came out on both sides:
--   pktgen port 0 TX -> sipwall outside  (the offered mix)
--   pktgen port 1 RX <- sipwall inside   (what sipwall passed: valid SIP, responses, non-SIP)
--   pktgen port 0 RX <- sipwall outside  (sipwall's replies: 400/413/414/420/483/505)
--   dropped = sent - passed - replied    (scanners, junk, reply budget, and any loss)
-- Launch (bench/pktgen/README.md has the lcore layout):
--   pktgen -l 0-4 -n 4 -a PCI0 -a PCI1 -- -P -m "[1:2].0,[3:4].1" -s 0:mix.pcap -f bench/pktgen/sipwall.lua
-- Settings from the environment: SIPWALL_STEPS (rate percentages, default "10,20,30,40,50,60,70,80,90,100"),
-- SIPWALL_STEP_MS (time at each rate, default 5000), SIPWALL_WARM_MS (ignored start of each step, default 1000),
-- SIPWALL_OUT (output path without extension, default "sipwall-pktgen": .csv and .json are written).
-- Checked here with `luac5.4 -p` only: pktgen needs NICs (or vdevs) that this project's CI machine does not have.

package.path = package.path .. ";?.lua;test/?.lua;app/?.lua;"
require "Pktgen"

local TX, RX = "0", "1"

local function env_num(name, default)
	local v = tonumber(os.getenv(name) or "")
	return v or default
end

local function steps()
	local list = {}
	for pct in string.gmatch(os.getenv("SIPWALL_STEPS") or "10,20,30,40,50,60,70,80,90,100", "[^,]+") do
		list[#list + 1] = tonumber(pct)
	end
	return list
end

-- Totals since the last pktgen.clr() of one port: packets in and out, and what the NIC missed.
local function totals(port)
	local s = pktgen.portStats(port, "port")[tonumber(port)]
	return { rx = s.ipackets, tx = s.opackets, missed = s.imissed or 0, nombuf = s.rx_nombuf or 0 }
end

-- Rates (packets per second) of both ports, averaged over the samples taken once a second.
local function sample_rates(ms)
	local acc = { tx0 = 0, rx0 = 0, rx1 = 0, n = 0 }
	local left = ms
	while left > 0 do
		pktgen.delay(math.min(1000, left))
		left = left - 1000
		local r = pktgen.portStats("0-1", "rate")
		acc.tx0 = acc.tx0 + r[0].pkts_tx
		acc.rx0 = acc.rx0 + r[0].pkts_rx
		acc.rx1 = acc.rx1 + r[1].pkts_rx
		acc.n = acc.n + 1
	end
	if acc.n == 0 then
		acc.n = 1
	end
	return { tx0 = acc.tx0 / acc.n, rx0 = acc.rx0 / acc.n, rx1 = acc.rx1 / acc.n }
end

local function run_step(pct, step_ms, warm_ms)
	pktgen.stop("all")
	pktgen.delay(500)
	pktgen.clr()
	pktgen.set(TX, "rate", pct)
	pktgen.start(TX)
	pktgen.delay(warm_ms)
	local rate = sample_rates(step_ms - warm_ms)
	pktgen.stop(TX)
	pktgen.delay(500) -- let sipwall's drain timer and the TX rings empty before the totals are read
	local t0, t1 = totals(TX), totals(RX)
	local sent = t0.tx
	return {
		pct = pct,
		offered_pps = rate.tx0,
		passed_pps = rate.rx1,
		replied_pps = rate.rx0,
		sent = sent,
		passed = t1.rx,
		replied = t0.rx,
		dropped = sent - t1.rx - t0.rx,
		missed = t0.missed + t1.missed,
	}
end

local function write_outputs(base, rows)
	local csv = io.open(base .. ".csv", "w")
	csv:write("rate_pct,offered_pps,passed_pps,replied_pps,sent,passed,replied,dropped,missed\n")
	for _, r in ipairs(rows) do
		csv:write(string.format("%d,%.0f,%.0f,%.0f,%d,%d,%d,%d,%d\n", r.pct, r.offered_pps, r.passed_pps,
			r.replied_pps, r.sent, r.passed, r.replied, r.dropped, r.missed))
	end
	csv:close()
	-- JSON by hand: pktgen's Lua has no JSON library, and every value here is a number
	local js = io.open(base .. ".json", "w")
	js:write('{"bench": "pktgen", "tx_port": 0, "rx_port": 1, "steps": [\n')
	for i, r in ipairs(rows) do
		js:write(string.format('  {"rate_pct": %d, "offered_pps": %.0f, "passed_pps": %.0f, "replied_pps": %.0f, ' ..
			'"sent": %d, "passed": %d, "replied": %d, "dropped": %d, "missed": %d}%s\n', r.pct, r.offered_pps,
			r.passed_pps, r.replied_pps, r.sent, r.passed, r.replied, r.dropped, r.missed,
			i < #rows and "," or ""))
	end
	js:write("]}\n")
	js:close()
end

local function main()
	local step_ms = env_num("SIPWALL_STEP_MS", 5000)
	local warm_ms = math.min(env_num("SIPWALL_WARM_MS", 1000), step_ms - 1000)
	local base = os.getenv("SIPWALL_OUT") or "sipwall-pktgen"
	local rows = {}

	pktgen.screen("off")
	pktgen.set(TX, "count", 0) -- replay the capture in a loop for as long as the step lasts
	pktgen.pcap(TX, "on")
	printf("%6s %12s %12s %12s %12s %12s %12s\n", "rate%", "offered/s", "passed/s", "replied/s", "sent",
		"dropped", "missed")
	for _, pct in ipairs(steps()) do
		local r = run_step(pct, step_ms, warm_ms)
		rows[#rows + 1] = r
		printf("%6d %12.0f %12.0f %12.0f %12d %12d %12d\n", r.pct, r.offered_pps, r.passed_pps, r.replied_pps,
			r.sent, r.dropped, r.missed)
	end
	pktgen.stop("all")
	write_outputs(base, rows)
	printf("sipwall.lua: %s.csv and %s.json written\n", base, base)
end

main()
