# shellcheck shell=bash
# Helpers for job scripts in the guest (bash, busybox tools). Every test case ends in
# one "RESULT <name> PASS|FAIL|SKIP" line, which the host counts.

result() {
	echo "RESULT $1 $2"
}

# In the guest every prerequisite is there (the job loaded the modules, the
# kernel has IPv6): a test that skips found something broken. The tests see
# SMC_TEST_REQUIRED too and fail instead of skipping where they can; what
# still reports a skip is counted as a failure here. By hand, on a kernel
# that truly lacks something, a skip stays a skip (exit 4).
export SMC_TEST_REQUIRED=1

result_skip() {
	if [ "$SMC_TEST_REQUIRED" = 1 ]; then
		echo "## $1: skipped although nothing is missing in the guest"
		result "$1" FAIL
	else
		result "$1" SKIP
	fi
}

# Run a kselftest_harness binary; one RESULT per TAP test line. A binary
# that dies before reporting counts as one failure.
run_kselftest() {
	name=$1; shift
	out=/tmp/$name.tap
	echo "## selftest $name $*"
	t0=$(date +%s)
	timeout "${KSFT_TIMEOUT:-600}" "$@" >"$out" 2>&1
	rc=$?
	cat "$out"
	echo "## $name took $(($(date +%s) - t0)) s"
	seen=$(grep -cE '^(not )?ok [0-9]+( |$)' "$out")
	grep -E '^(not )?ok [0-9]+( |$)' "$out" | while read -r line; do
		case=$(echo "$line" | sed -E 's/^(not )?ok [0-9]+ *//; s/ *# .*//; s/^#.*//; s/ /_/g')
		if [ -z "$case" ]; then
			# a result nobody can tell from the next: the count is
			# kept (harness/expected-results) and it fails. 6.1's
			# kselftest_harness names no test it skips.
			num=$(echo "$line" | sed -E 's/^(not )?ok ([0-9]+).*/\2/')
			case "$line" in
			*"# SKIP"*)
				echo "## $name: test $num skipped:${line#*# SKIP}"
				result_skip "$name:tap-line-$num-skipped"
				;;
			*)
				result "$name:tap-line-$num-without-description" FAIL
				;;
			esac
			continue
		fi
		case "$line" in
		"not ok "*) result "$name:$case" FAIL ;;
		*"# SKIP"*) result_skip "$name:$case" ;;
		*) result "$name:$case" PASS ;;
		esac
	done
	if [ "$seen" -eq 0 ]; then
		if [ $rc -eq 4 ]; then
			result_skip "$name"
		else
			result "$name" FAIL
		fi
	elif [ $rc -ne 0 ] && [ $rc -ne 4 ] && ! grep -q '^not ok' "$out"; then
		# All cases passed but the binary still failed (crash, timeout).
		result "$name:exit-status-$rc" FAIL
	fi
}

# Run a shell selftest: exit 0 pass, 4 skip, anything else fail.
run_shtest() {
	name=$1; shift
	echo "## selftest $name"
	t0=$(date +%s)
	timeout "${KSFT_TIMEOUT:-600}" "$@"
	rc=$?
	echo "## $name took $(($(date +%s) - t0)) s"
	case $rc in
	0) result "$name" PASS ;;
	4) result_skip "$name" ;;
	*) result "$name" FAIL ;;
	esac
}

# The kernel must not have complained while the tests ran.
check_dmesg() {
	name=${1:-dmesg-clean}
	# On a kmemleak kernel: let freed objects age past kmemleak's minimum,
	# then scan; leaks show up in dmesg as "unreferenced object".
	if [ -w /sys/kernel/debug/kmemleak ]; then
		echo "## kmemleak scan"
		sleep 6
		echo scan >/sys/kernel/debug/kmemleak
		sleep 6
		echo scan >/sys/kernel/debug/kmemleak
		cat /sys/kernel/debug/kmemleak
	fi
	if ! dmesg >/tmp/dmesg.all 2>&1 || ! [ -s /tmp/dmesg.all ]; then
		echo "## cannot read the kernel log"
		result "$name" FAIL
	elif grep -E 'BUG:|WARNING:|Oops|KASAN|UBSAN|possible circular|possible recursive|inconsistent lock|suspicious RCU|unreferenced object|suspected memory leak|Call Trace' /tmp/dmesg.all >/tmp/dmesg.bad; then
		echo "## kernel reported problems:"
		dmesg | tail -n 200
		result "$name" FAIL
	else
		result "$name" PASS
	fi
}

# The SMC statistics as one line: "clnt_v2 srv_v2 clnt_hs_err srv_hs_err
# clnt_fback srv_fback" (SMC-D v2 connections, then handshake errors and
# fallbacks of all of SMC); smc_info is in /selftests.
smc_counters() {
	/selftests/smc_info stats | awk '
		/connections: client v1/ { c = $6; s = $11 }
		/^SMC handshake errors/ { he_c = $5; he_s = $7 }
		/^SMC fallbacks/ { fb_c = $4; fb_s = $6 }
		END { gsub(",", "", c); gsub(",", "", he_c); gsub(",", "", fb_c)
		      print c, s, he_c, he_s, fb_c, fb_s }'
}

# running PID: PID lives and has not begun to exit (PF_EXITING, 0x4, in
# the flags field of /proc/PID/stat; a zombie that is not reaped yet is
# still signalled by kill -0, and an exiting one is closing its files).
running() {
	local f
	f=$(awk '{ print $9 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$f" ] && [ $((f & 4)) -eq 0 ]
}

# counters_while PID: smc_counters as last read while PID ran, before it
# began to exit (empty if it never ran meanwhile). A client that exits
# with handshakes in flight aborts them, and both ends count those as
# handshake errors: what the statistics gain after this reading is that
# teardown, not the run.
counters_while() {
	local last='' cur
	while running "$1"; do
		cur=$(smc_counters)
		running "$1" || break
		last=$cur
		sleep 0.1
	done
	echo "$last"
}

# settled_counters: smc_counters once two readings 0.2 s apart agree (at
# most about 3 s): after a client exits, the server's handshake workers
# may still be counting the handshakes it had in flight.
settled_counters() {
	local prev cur
	prev=$(smc_counters)
	for _ in $(seq 15); do
		sleep 0.2
		cur=$(smc_counters)
		[ "$cur" = "$prev" ] && break
		prev=$cur
	done
	echo "$prev"
}

# The files nginx serves: /tmp/www/1k.bin and 1m.bin, random bytes.
www_files() {
	mkdir -p /tmp/www /var/lib/nginx /var/log/nginx
	[ -s /tmp/www/1m.bin ] && return 0
	head -c 1024 /dev/urandom >/tmp/www/1k.bin
	head -c 1048576 /dev/urandom >/tmp/www/1m.bin
	chmod 644 /tmp/www/*.bin
	# nginx started by root runs its worker as nobody:nogroup
	grep -q '^nobody:' /etc/passwd 2>/dev/null ||
		echo 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >>/etc/passwd
	grep -q '^nogroup:' /etc/group 2>/dev/null || echo 'nogroup:x:65534:' >>/etc/group
}

# nginx_start NAME PORT [WRAPPER]: one worker, sendfile on, serving
# /tmp/www on 127.0.0.1 and ::1, in the background ($! is nginx); errors go
# to /tmp/NAME/error.log.
nginx_start() {
	local d=/tmp/$1
	www_files
	mkdir -p "$d"
	cat >"$d/nginx.conf" <<-EOF
	worker_processes 1;
	daemon off;
	error_log $d/error.log;
	pid $d/nginx.pid;
	events { worker_connections 4096; }
	http {
		access_log off;
		sendfile on;
		tcp_nopush on;
		keepalive_requests 1000000;
		default_type application/octet-stream;
		server {
			listen 127.0.0.1:$2;
			listen [::1]:$2;
			root /tmp/www;
		}
	}
	EOF
	${3:-} nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" &
}
