# Both directions in one boot: send $1 MiB to the host, then receive from it.
sh /work/net-send.sh "$1" || exit 1
sh /work/net-recv.sh
