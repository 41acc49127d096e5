set -e
apt-get install -y -qq -o DPkg::Lock::Timeout=600 cron logrotate
