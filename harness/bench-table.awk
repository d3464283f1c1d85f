# make bench: medians of the guest's BENCH lines, as a table and as JSON.
# BENCH <mode>-<buffers> <rep> <name> <tcp|smc|local> <value> <unit> mode=<m> key=value...
# Run with -v json=FILE -v reps=BENCH_REPS.
function median(list,    n, a, i, j, t) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++)	# insertion sort, n is small
		for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	if (n % 2)
		return a[(n + 1) / 2]
	return (a[n / 2] + a[n / 2 + 1]) / 2
}
function add(key, v,    had) {
	had = key in vals	# not in the assignment: mawk creates the key first
	vals[key] = had ? vals[key] " " v : v
}
$1 == "BENCH" {
	sec = $2; name = $4; kind = $5; unit[name] = $7
	delete kv
	for (i = 8; i <= NF; i++) {
		split($i, p, "=")
		kv[p[1]] = p[2]
	}
	if (name == "memcpy") { memcpy = $6; next }
	if (name == "concurrent") { conc[kind] = $0; concmode[kind] = kv["mode"]; next }
	add(sec " " name " " kind, $6)
	if (kv["mode"] != "SMCD" && kind == "smc")
		badmode[sec " " name] = kv["mode"]
	if (name ~ /^pp/) {
		add(sec " " name "99 " kind, kv["p99"])
		unit[name "99"] = $7
	}
	seen[sec] = 1
}
# A row meets its target only if every run of both sides reported (reps
# of them) and the SMC side ran over SMC-D; a missing or crashed run, or
# an SMC side that fell back, is MISSED whatever the ratio, and makes the
# benchmark incomplete (exit status 3).
function row(sec, name, what, op, target,    t, s, r, m, v, split_sec, nt, ns, miss, tmp) {
	nt = (sec " " name " tcp") in vals ? split(vals[sec " " name " tcp"], tmp, " ") : 0
	ns = (sec " " name " smc") in vals ? split(vals[sec " " name " smc"], tmp, " ") : 0
	miss = nt < reps || ns < reps
	t = nt ? median(vals[sec " " name " tcp"]) : 0
	s = ns ? median(vals[sec " " name " smc"]) : 0
	r = t > 0 ? s / t : 0
	m = ((sec " " substr(name, 1, 4)) in badmode) ? badmode[sec " " substr(name, 1, 4)] : "SMCD"
	if ((sec " " name) in badmode) m = badmode[sec " " name]
	v = "-"
	if (op != "") {
		v = ((op == ">=" && r >= target) || (op == "<=" && r <= target)) ? "met" : "MISSED"
		if (miss || m != "SMCD") v = "MISSED"
		if (sec == "nocopy-default") { ntarget++; if (v == "met") nmet++ }
	}
	if (miss) {
		incomplete++
		printf "benchmark incomplete: %s %s: %d of %d TCP runs, %d of %d SMC runs reported\n",
			sec, name, nt, reps, ns, reps >"/dev/stderr"
	}
	split(sec, split_sec, "-")
	printf "%-7s %-8s %-26s %10.1f %10.1f %-6s %6.2f  %2s %-4s %-6s %s%s\n", split_sec[1],
		split_sec[2], what, t, s, unit[name], r, op, target, v,
		m == "SMCD" ? "" : "(SMC side: " m ")", miss ? "(runs missing)" : ""
	if (nrows++) printf ",\n" >json
	printf "    {\"mode\": \"%s\", \"buffers\": \"%s\", \"test\": \"%s\", \"what\": \"%s\", " \
		"\"tcp\": %s, \"smc\": %s, \"unit\": \"%s\", \"ratio\": %.3f, \"target\": \"%s\", " \
		"\"verdict\": \"%s\", \"smc_mode\": \"%s\", \"complete\": %s, \"runs_tcp\": [%s], \"runs_smc\": [%s]}",
		split_sec[1], split_sec[2], name, what, t, s, unit[name], r, op " " target, v, m,
		miss ? "false" : "true",
		csv(vals[sec " " name " tcp"]), csv(vals[sec " " name " smc"]) >json
}
function csv(list,    s) { s = list; gsub(/ /, ", ", s); return s }
END {
	printf "{\n  \"rows\": [\n" >json
	printf "%-7s %-8s %-26s %10s %10s %-6s %6s  %s\n", "mode", "buffers", "benchmark (median)", "TCP", "SMC-D", "unit", "SMC/TCP", "target"
	n = split("nocopy-default nocopy-1MiB copy-default copy-1MiB", secs, " ")
	for (i = 1; i <= n; i++) {
		sec = secs[i]
		row(sec, "bulk1", "bulk 64 KiB, 1 stream", ">=", 2.0)
		row(sec, "bulk4", "bulk 64 KiB, 4 streams", "", "")
		row(sec, "pp14", "ping-pong 14 B", "<=", 0.5)
		row(sec, "pp1499", "ping-pong 14 B, p99", "", "")
		row(sec, "pp1k", "ping-pong 1 KiB", "", "")
		row(sec, "pp1k99", "ping-pong 1 KiB, p99", "", "")
		row(sec, "connrate", "connect+close rate", ">=", 0.67)
	}
	# programs nobody here wrote, default configuration only
	sec = "nocopy-default"
	row(sec, "redis_set", "redis SET, 20 clients", ">=", 1.3)
	row(sec, "redis_get", "redis GET, 20 clients", ">=", 1.3)
	row(sec, "redis_getp16", "redis GET, 20 cl., pipeline 16", "", "")
	row(sec, "nginx_1k", "nginx 1 KiB, 8 keep-alive", ">=", 1.3)
	row(sec, "nginx_1m", "nginx 1 MiB, 8 keep-alive", ">=", 1.0)
	row(sec, "nginx_close", "nginx 1 KiB, conn. close", "", "")
	row(sec, "iperf3", "iperf3 64 KiB, 1 stream", ">=", 2.0)
	row(sec, "sockperf_tp", "sockperf tp 64000 B", "", "")
	row(sec, "sockperf_pp", "sockperf ping-pong 14 B", "<=", 0.5)
	# Debian's kernel with our modules: verdicts shown, not counted in
	# "targets met" (row() counts nocopy-default only)
	if ("stock-default" in seen) {
		sec = "stock-default"
		row(sec, "bulk1", "bulk 64 KiB, 1 stream", ">=", 2.0)
		row(sec, "pp14", "ping-pong 14 B", "<=", 0.5)
		row(sec, "pp1499", "ping-pong 14 B, p99", "", "")
		row(sec, "connrate", "connect+close rate", ">=", 0.67)
	}
	printf "\n  ],\n" >json
	# 5000 concurrent connections: the fourth target, counted whether it
	# ran or not
	ntarget++
	if (("smc" in conc) && ("tcp" in conc)) {
		split(conc["smc"], f, " ")
		split(conc["tcp"], g, " ")
		printf "concurrent (no-copy, default buffers): TCP %s, SMC %s connections open at once (SMC side mode %s):",
			g[6], f[6], concmode["smc"]
		for (i = 10; i <= length(f); i++) printf " %s", f[i]
		printf "\n"
		v = concmode["smc"] == "SMCD" ? "met" : "MISSED"
		if (v == "met") nmet++
		printf "  \"concurrent\": {\"connections\": %s, \"smc_mode\": \"%s\", \"verdict\": \"%s\"},\n", f[6], concmode["smc"], v >json
	} else {
		incomplete++
		printf "concurrent (no-copy, default buffers): MISSED (no result)\n"
		printf "benchmark incomplete: concurrent: no result\n" >"/dev/stderr"
		printf "  \"concurrent\": {\"connections\": null, \"smc_mode\": null, \"verdict\": \"MISSED\"},\n" >json
	}
	if (memcpy != "")
		printf "memcpy ceiling (64 KiB blocks, same guest): %s MB/s\n", memcpy
	printf "targets met (no-copy, default buffers): %d of %d\n", nmet, ntarget
	printf "  \"memcpy_MBps\": %s,\n  \"targets_met\": %d,\n  \"targets\": %d,\n  \"complete\": %s\n}\n", memcpy == "" ? "null" : memcpy, nmet, ntarget, incomplete ? "false" : "true" >json
	if (incomplete)
		exit 3
}
