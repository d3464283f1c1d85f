# BENCH <label> <test> <smc|tcp> <value> <unit> mode=<m> ...
{
	key = $2 " " $3 " " $4
	val[key] = $5; unit[$3] = $6; mode[key] = substr($7, 6)
	if ($3 == "concurrent") conc[$2] = $0
}
function ratio(label, test) {
	if (!((label " " test " smc") in val) || !(("default " test " tcp") in val))
		return "-"
	return sprintf("%.2f", val[label " " test " smc"] / val["default " test " tcp"])
}
function verdict(r, op, target) {
	if (r == "-") return "missing"
	if (op == ">=") return (r + 0 >= target) ? "met" : "MISSED"
	return (r + 0 <= target) ? "met" : "MISSED"
}
function row(label, test, what, op, target,    r) {
	r = ratio(label, test)
	printf "%-9s %-28s %12s %12s %-6s %7s  %s %-4s %s (smc mode %s)\n", label, what,
		val["default " test " tcp"], val[label " " test " smc"], unit[test], r,
		op, target, verdict(r, op, target), mode[label " " test " smc"]
}
END {
	printf "%-9s %-28s %12s %12s %-6s %7s  %s\n", "buffers", "benchmark", "TCP", "SMC-D", "unit", "SMC/TCP", "target"
	row("default", "bulk", "bulk 64 KiB, 1 stream", ">=", 2.0)
	row("default", "pingpong", "ping-pong 14 B latency", "<=", 0.5)
	row("default", "connrate", "connect+close rate", ">=", 0.67)
	row("1MiB", "bulk", "bulk 64 KiB, 1 stream", ">=", 2.0)
	row("1MiB", "pingpong", "ping-pong 14 B latency", "<=", 0.5)
	row("1MiB", "connrate", "connect+close rate", ">=", 0.67)
	if ("default" in conc) {
		split(conc["default"], f, " ")
		printf "concurrent: %s connections open at once;", f[5]
		for (i = 7; i <= length(f); i++) printf " %s", f[i]
		printf "\n"
	}
}
