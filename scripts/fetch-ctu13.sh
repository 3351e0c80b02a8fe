#!/usr/bin/env bash
# Downloads official full CTU-13 files (data/ctu13/README.md, "Official full
# files") and verifies their sha256. The files are plain text; the sha256 is
# of the file as downloaded. A file already present with the right sha256 is
# not downloaded again. Never run by the tests.
#
# CTU-13, Stratosphere Laboratory, CVUT Prague. Cite: S. Garcia, M. Grill,
# J. Stiborek, A. Zunino, "An empirical comparison of botnet detection
# methods", Computers & Security 45 (2014) 100-123.
set -euo pipefail

# CTU13_BASE overrides the server (a mirror).
base=${CTU13_BASE:-https://mcfp.felk.cvut.cz/publicDatasets}
# name  folder  file  bytes  sha256
files="
s10-netflow CTU-Malware-Capture-Botnet-51 capture20110818.pcap.netflow.labeled 512952178 40a111e6013e3a3be83dfcead7aa316ec98bad13122c6c3ffd585fe03348b8e6
s9-binetflow CTU-13-Dataset/9 capture20110817.binetflow 285841002 7974f3cb3f4b707d7543194b6cd96c52af804d4a11aad2645036fd6f3e635abe
s10-binetflow CTU-13-Dataset/10 capture20110818.binetflow 179074339 8ae44d50e48fdff5b810b741b7824999ccf474081676562a54aa2b23d55d556f
s11-binetflow CTU-13-Dataset/11 capture20110818-2.binetflow 14596615 d761b4513ee42be57193fe8f442e9234e73ac81f4fbd01248e37c23ca8ec1cf2
s12-binetflow CTU-13-Dataset/12 capture20110819.binetflow 44718958 615e28233cb3c494b74c1016af940394c2765df9a285413256e65b0ebd11bbca
s6-netflow CTU-Malware-Capture-Botnet-47 capture20110816.pcap.netflow.labeled 257053466 1895d431f41eff5116f79a80f45460b86f98ed98770cf597fed9cbdbcc03ee5d
"

usage() {
	cat <<USAGE
usage: $0 [-o DIR] [-l] [NAME...]

Downloads official CTU-13 files into DIR (default data/ctu13/full in the repository) and
verifies their sha256. NAME picks files (default: s10-netflow, the file the
notebook uses); "all" takes every file.

  -o DIR  output directory
  -l      list the files and exit
USAGE
}

out=$(dirname "$0")/../data/ctu13/full
while getopts "o:lh" opt; do
	case $opt in
	o) out=$OPTARG ;;
	l)
		echo "$files" | awk 'NF { printf "%-14s %12d bytes  %s/%s\n", $1, $4, $2, $3 }'
		exit 0
		;;
	h)
		usage
		exit 0
		;;
	*)
		usage >&2
		exit 2
		;;
	esac
done
shift $((OPTIND - 1))
names=("$@")
if [[ ${#names[@]} -eq 0 ]]; then
	names=(s10-netflow)
elif [[ ${names[0]} == all ]]; then
	mapfile -t names < <(echo "$files" | awk 'NF { print $1 }')
fi

command -v curl >/dev/null || { echo "fetch-ctu13: curl is required" >&2; exit 1; }
command -v sha256sum >/dev/null || { echo "fetch-ctu13: sha256sum is required" >&2; exit 1; }
mkdir -p "$out"

status=0
for name in "${names[@]}"; do
	entry=$(echo "$files" | awk -v n="$name" '$1 == n')
	if [[ -z $entry ]]; then
		echo "fetch-ctu13: unknown file $name (see $0 -l)" >&2
		exit 2
	fi
	read -r _ folder file bytes sum <<<"$entry"
	dest=$out/$file
	if [[ -f $dest ]] && echo "$sum  $dest" | sha256sum --check --status; then
		echo "$dest: present, sha256 ok"
		continue
	fi
	url=$base/$folder/$file
	echo "$url -> $dest ($bytes bytes)"
	# An interrupted download resumes from its .part file.
	curl --fail --location --retry 3 --continue-at - --output "$dest.part" "$url" || {
		echo "fetch-ctu13: download of $url failed" >&2
		status=1
		continue
	}
	got=$(sha256sum "$dest.part" | cut -d' ' -f1)
	if [[ $got != "$sum" ]]; then
		echo "fetch-ctu13: $file: sha256 mismatch: got $got, want $sum ($(stat -c %s "$dest.part") bytes, want $bytes); removed" >&2
		rm -f "$dest.part"
		status=1
		continue
	fi
	mv "$dest.part" "$dest"
	echo "$dest: sha256 ok"
done
exit $status
