set -e
mkdir -p /var/log/vigil-noise
for i in $(seq 200); do echo "line $i" >> /var/log/vigil-noise/app.log; done
cat > $OUT/lr.conf <<'CONF'
/var/log/vigil-noise/*.log {
  rotate 2
  compress
  create 0640 root adm
  missingok
  postrotate
    /bin/true
  endscript
}
CONF
logrotate -f -s $OUT/lr.state $OUT/lr.conf
logrotate -f -s $OUT/lr.state $OUT/lr.conf
logrotate -f -s $OUT/lr.state $OUT/lr.conf
ls /var/log/vigil-noise
