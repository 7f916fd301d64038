#!/usr/bin/env bash
# Prepares experiments/device/dist/ (ignored by git) for gpu-check.sh on a device machine that has no JDK
# and no Maven: a jlinked JDK runtime (java.base, jdk.incubator.vector and what the jars need, ~45-60 MB),
# the built jars, the test classes of the CUDA tests, JUnit's launcher, and the tiny shared models.
# Run here, then: device run with carry ["experiments/device/dist.tar.xz"] and command
# "bash experiments/device/gpu-check.sh" (which unpacks the archive first).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dist=$root/experiments/device/dist
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
cd "$root"
# target/lib keeps jars of dependency versions a past build used (two snakeyaml versions made jlink fail): start clean
rm -rf engine/target/lib
flock /tmp/sequoia-build.lock ./mvnw -B -q -pl engine -am package -DskipTests
flock /tmp/sequoia-build.lock ./mvnw -B -q -pl native-bindings,engine -am test-compile
rm -rf "$dist"; mkdir -p "$dist/lib" "$dist/classes" "$dist/models"
cp engine/target/sequoia-engine.jar engine/target/lib/*.jar "$dist/lib/"
# grep reads the whole listing (no -q): an early exit would kill unzip with SIGPIPE and fail under pipefail
unzip -l "$dist/lib/sequoia-native-bindings-0.1.0-SNAPSHOT.jar" | grep -c sequoia_kernels.fatbin >/dev/null \
  || { echo "prepare: the native-bindings jar has no fatbin (nvcc missing?)" >&2; exit 1; }
(cd native-bindings/target/test-classes && "$JAVA_HOME/bin/jar" cf "$dist/lib/native-bindings-tests.jar" .)
# no fixtures in the jar: they travel with the working tree (engine/src/test/resources), which gpu-check.sh puts on
# the class path; the 64 MiB a device call carries (tree included) is tight
(cd engine/target/test-classes && "$JAVA_HOME/bin/jar" cf "$dist/lib/engine-tests.jar" $(ls | grep -vx fixtures))
m2=${MAVEN_REPO:-$HOME/.m2/repository}
jv=$(sed -n 's:.*<junit.version>\(.*\)</junit.version>.*:\1:p' pom.xml)
pv=1.${jv#5.}
for a in org/junit/jupiter/junit-jupiter-api/$jv org/junit/jupiter/junit-jupiter-engine/$jv \
         org/junit/jupiter/junit-jupiter-params/$jv org/junit/platform/junit-platform-commons/$pv \
         org/junit/platform/junit-platform-engine/$pv org/junit/platform/junit-platform-launcher/$pv; do
  cp "$m2/$a"/*.jar "$dist/lib/"
done
cp "$(ls -d "$m2"/org/opentest4j/opentest4j/* | sort -V | tail -1)"/*.jar "$dist/lib/"
cp "$(ls -d "$m2"/org/apiguardian/apiguardian-api/* | sort -V | tail -1)"/*.jar "$dist/lib/"
"$JAVA_HOME/bin/javac" -d "$dist/classes" -cp "$dist/lib/*" experiments/device/GpuTestRunner.java
modules=$("$JAVA_HOME/bin/jdeps" --ignore-missing-deps --multi-release 25 --print-module-deps \
  --add-modules jdk.incubator.vector "$dist"/lib/sequoia-*.jar "$dist"/lib/jackson-*.jar "$dist"/lib/snakeyaml-*.jar \
  "$dist"/lib/picocli-*.jar)
# snakeyaml: jackson-dataformat-yaml's module requires it, and jdeps stops at a required module it is not given.
# java.desktop (pulled in by Jackson's optional java.beans use) would push the runtime past the 64 MiB a device
# call may carry; Jackson runs without it.
# jdk.zipfs: JUnit scans test packages inside jars through the zip file system; without it the runner finds
# no test at all and would pass vacuously. java.logging: JUnit's own logging.
modules=$(echo "$modules,java.base,jdk.incubator.vector,jdk.unsupported,java.management,jdk.zipfs,java.logging" \
  | tr , "\n" | grep -vx java.desktop | sort -u | paste -sd,)
rm -rf "$dist/jdk"
# modules stored uncompressed (zip-0): xz below then compresses them far better than it can zip-6's deflate
# streams (archive 41.5 -> 32 MB, which brought the carry from 64 back to 54 MiB)
"$JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --compress=zip-0 --output "$dist/jdk"
models=$root/engine/src/main/resources/dev/sequoia/engine/models/stories260K
cp "$models"/*.bin "$dist/models/"
mkdir -p "$dist/models/golden" && cp "$root"/engine/src/test/resources/fixtures/golden/*.json "$dist/models/golden/"
# The acceptance vector GpuCheck feeds the optimizer: the shared stories260K target/draft pair at T = 0.6,
# measured here on the CPU (the device run has no draft/target pair of 70B scale to measure).
"$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$dist/lib/*" \
  dev.sequoia.engine.cli.Main accept --target "$models/stories260K.bin" \
  --draft "$models/draft-stories260K-d32.bin" --tokenizer "$models/tok512.bin" -t 0.6 --json \
  2>/dev/null >"$dist/models/acceptance.json"
echo "prepare: modules $modules"
du -sh "$dist/jdk" "$dist/lib" "$dist"
# One xz archive carried instead of the folder: libjvm.so and the jlinked modules shrink to a third, which keeps
# the archive plus the working tree (~23 MB of tracked files, fixtures included) under the 64 MiB a call carries.
tar -C "$root/experiments/device" -cf - dist | xz -T0 -9 > "$root/experiments/device/dist.tar.xz"
tree=$(git -C "$root" ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
carried=$(( tree + $(stat -c %s "$root/experiments/device/dist.tar.xz") ))
echo "prepare: experiments/device/dist.tar.xz + tracked tree = $(( carried >> 20 )) MiB (limit 64)"
(( carried < 64 << 20 )) || { echo "prepare: too large to carry in one device call" >&2; exit 1; }
