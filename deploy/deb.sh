#!/usr/bin/env bash
# deploy/deb.sh WORK VERSION FALLBACK: turns what `make install` staged in
# WORK/debian/sluice (PREFIX=/usr) into WORK/../sluice_DEBVERSION_ARCH.deb
# with dpkg-deb, then runs lintian on it. `make deb` calls it; run that.
#
# No debhelper: the package is one staged tree plus DEBIAN/control (Depends
# from dpkg-shlibdeps), md5sums, copyright and changelog. It ships no
# maintainer scripts: installing it neither enables nor starts the service
# (an operator writes /etc/sluice/sluice.toml first). Exit status: 0 when the
# package is built and lintian reports no error.
set -euo pipefail
work=$1 version=$2 fallback=$3
root=$work/debian/sluice
out=$(dirname "$work")

# A Debian version: a tag "v1.2.3[-N-gHASH]" gives 1.2.3[+N+gHASH]; a bare
# commit is a snapshot before the next release, FALLBACK~git.HASH[.dirty].
case $version in
  v[0-9]*) debver=${version#v}; debver=${debver//-/+} ;;
  [0-9]*.*) debver=${version//-/+} ;;
  *) debver=$fallback~git.${version//-/.} ;;
esac
arch=$(dpkg --print-architecture)

strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/sluice"

doc=$root/usr/share/doc/sluice
install -d "$doc"
install -m 0644 deploy/debian/copyright "$doc/copyright"
{
  echo "sluice ($debver) unstable; urgency=medium"
  echo
  echo "  * Built from git $version."
  echo
  echo " -- sluice developers <sluice@example.org>  $(date -R -d "@${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2> /dev/null || date +%s)}")"
} | gzip -9n > "$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"

# dpkg-shlibdeps reads debian/control and finds the package's root by its
# DEBIAN folder.
install -d "$root/DEBIAN"
printf 'Source: sluice\n\nPackage: sluice\nArchitecture: any\n' > "$work/debian/control"
depends=$(cd "$work" && dpkg-shlibdeps -O -e debian/sluice/usr/bin/sluice | sed -n 's/^shlibs:Depends=//p')
rm "$work/debian/control"

sed -e "s|@VERSION@|$debver|" -e "s|@ARCH@|$arch|" -e "s|@DEPENDS@|$depends|" \
  -e "s|@SIZE@|$(du -sk --exclude=DEBIAN "$root" | cut -f1)|" deploy/debian/control.in > "$root/DEBIAN/control"
(cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"

deb=$out/sluice_${debver}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" > /dev/null
echo "built $deb"
echo "lintian:"
# lintian leaves a scratch file (mldbm-elf-*) in TMPDIR: give it one of its
# own, removed whatever happens.
lint_tmp=$(mktemp -d)
trap 'rm -rf "$lint_tmp"' EXIT
TMPDIR=$lint_tmp lintian --fail-on error --display-info "$deb" | sed 's/^/  /'
echo "lintian: no error"
