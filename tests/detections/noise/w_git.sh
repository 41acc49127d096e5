set -e
rm -rf $OUT/g
git clone -q $VIGIL_SRC $OUT/g
cd $OUT/g
git checkout -q -b noise
echo "noise" >> README.md
git -c user.email=t@vigil.invalid -c user.name=vigil commit -qam "noise edit"
git log --oneline | head -3
git diff HEAD~1 --stat
git status --short
git stash list
git grep -n "authorized_keys" -- rules | head -2 || true
git gc -q
git rebase -q HEAD~1 || true
