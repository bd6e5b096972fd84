/**
 * The offline bundle (`deno task bundle`, tasks/bundle.ts): its pure parts (lockfile and config narrowing,
 * the launcher's command line), then the real thing once: both tarballs built offline from a warm cache,
 * each unpacked into a fresh directory and run through its launcher with no network, no Deno on PATH, HOME
 * and DENO_DIR pointing at empty folders: the x86_64 bundle natively, the aarch64 one under qemu-user
 * (`qemu-aarch64-static -L /usr/aarch64-linux-gnu`, which `.ci/run` installs). Each uploads a topic with
 * pyarrow, reads it back exactly, runs a query and stops with SIGTERM and exit code 0.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import denoJson from "../deno.json" with { type: "json" };
import { DAEMON_VERSION } from "../src/version.ts";
import { type Lockfile, pruneConfig, pruneLock } from "../tasks/bundle/app.ts";
import { checkPlatformNeutral, workerModules } from "../tasks/bundle/deps.ts";
import { renderLauncher, taskPermissions } from "../tasks/bundle/launcher.ts";
import { elfMachine, ensureTarball, loadPins, sha512Integrity, tarballUrl } from "../tasks/bundle/runtime.ts";
import { bareEnv, bundleTask, prepare, qemu, smoke, unpack } from "./_bundle.ts";
import { ROOT } from "./_daemon.ts";
import { START_PERMISSIONS } from "./_permissions.ts";

const decoder = new TextDecoder();

Deno.test("bundle: pruneLock keeps the bundled packages only and drops their install-script flags", () => {
  const lock: Lockfile = {
    version: "5",
    specifiers: { "npm:a@1.0.0": "1.0.0", "npm:@t/s3@2.0.0": "2.0.0" },
    npm: {
      "a@1.0.0": { integrity: "sha512-a", dependencies: ["b"] },
      "b@3.0.0": { integrity: "sha512-b", scripts: true },
      "@t/s3@2.0.0": { integrity: "sha512-t" },
    },
    workspace: { dependencies: ["npm:@t/s3@2.0.0", "npm:a@1.0.0"] },
  };
  const { lock: out, droppedScripts } = pruneLock(lock, ["b@3.0.0", "a@1.0.0"], new Set(["a"]));
  assert.deepEqual(out, {
    version: "5",
    specifiers: { "npm:a@1.0.0": "1.0.0" },
    npm: { "a@1.0.0": { integrity: "sha512-a", dependencies: ["b"] }, "b@3.0.0": { integrity: "sha512-b" } },
    workspace: { dependencies: ["npm:a@1.0.0"] },
  });
  assert.deepEqual(droppedScripts, ["b@3.0.0"]);
  assert.throws(
    () => pruneLock(lock, ["c@1.0.0"], new Set()),
    /Cannot find npm package "c@1.0.0" in deno.lock/,
  );
  assert.throws(() => pruneLock({ ...lock, version: "4" }, [], new Set()), /version "4"/);
  assert.throws(() => pruneLock({ ...lock, jsr: { "@std/x@1": {} } }, [], new Set()), /"jsr" entries/);
});

Deno.test("bundle: pruneConfig drops development settings and imports of packages not bundled", () => {
  const config = {
    imports: { "a": "npm:a@1.0.0", "a/": "npm:/a@1.0.0/", "@t/s3": "npm:@t/s3@2.0.0", "~/": "./src/" },
    unstable: ["net"],
    tasks: { start: "deno run main.ts" },
    fmt: { lineWidth: 110 },
    lint: {},
    exclude: ["data/"],
  };
  assert.deepEqual(pruneConfig(config, new Set(["a"])), {
    imports: { "a": "npm:a@1.0.0", "a/": "npm:/a@1.0.0/", "~/": "./src/" },
    unstable: ["net"],
  });
  assert.throws(() => pruneConfig({ imports: { x: "jsr:@std/x@1" } }, new Set()), /not an npm package/);
});

Deno.test("bundle: the runtime pins name both platforms with sha512 integrities and npm tarball URLs", async () => {
  const pins = await loadPins(join(ROOT, "packaging", "deno_runtime.json"));
  assert.equal(pins.version, Deno.version.deno, "the pinned runtime is the Deno the project runs on");
  assert.equal(
    tarballUrl("https://registry.npmjs.org/", pins.platforms.aarch64.package, pins.version),
    `https://registry.npmjs.org/@deno/linux-arm64-glibc/-/linux-arm64-glibc-${pins.version}.tgz`,
  );
});

Deno.test("bundle: a cached runtime whose sha512 differs from the pin is refused, and --offline never downloads", async () => {
  const cacheDir = await Deno.makeTempDir({ prefix: "mosaicod-runtime-cache-" });
  try {
    const pins = await loadPins(join(ROOT, "packaging", "deno_runtime.json"));
    const opts = { cacheDir, registry: "http://127.0.0.1:9/", offline: true, log: () => {} };
    await assert.rejects(ensureTarball(pins, "aarch64", opts), /Cannot build offline: ".*" is missing/);
    const bytes = new TextEncoder().encode("not the runtime");
    await Deno.writeFile(join(cacheDir, `@deno+linux-arm64-glibc-${pins.version}.tgz`), bytes);
    const expected =
      `its integrity is ${await sha512Integrity(bytes)}, the pin of @deno/linux-arm64-glibc says ` +
      pins.platforms.aarch64.integrity;
    await assert.rejects(
      ensureTarball(pins, "aarch64", opts),
      (err: Error) => err.message.includes(expected),
    );
  } finally {
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test("bundle: worker modules are found by URL, platform-specific npm packages refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mosaicod-bundle-deps-" });
  try {
    await Deno.mkdir(join(dir, "src", "native"), { recursive: true });
    await Deno.writeTextFile(
      join(dir, "src", "pool.ts"),
      'const a = new Worker(new URL("./_w.ts", import.meta.url));\nconst b = new URL( "../x.js" , import.meta.url);',
    );
    assert.deepEqual(await workerModules([join(dir, "src", "pool.ts")]), [
      join(dir, "src", "_w.ts"),
      join(dir, "x.js"),
    ]);
    const pkg = (name: string) => ({
      id: `${name}@1.0.0`,
      name,
      version: "1.0.0",
      dependencies: [],
      registryUrl: "",
      localPath: join(dir, "src", name),
    });
    await Deno.mkdir(join(dir, "src", "plain"));
    await Deno.writeTextFile(join(dir, "src", "plain", "package.json"), '{"name": "plain"}');
    await checkPlatformNeutral([pkg("plain")]);
    await Deno.writeTextFile(
      join(dir, "src", "native", "package.json"),
      '{"name": "native", "cpu": ["x64"]}',
    );
    await Deno.writeFile(join(dir, "src", "native", "addon.node"), new Uint8Array(4));
    await assert.rejects(
      checkPlatformNeutral([pkg("plain"), pkg("native")]),
      /platform-specific packages native@1\.0\.0 \(cpu: \["x64"\]\), native@1\.0\.0 \(native addon addon\.node\)/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bundle: the compile task embeds every worker module the source starts by URL, as the bundle does", async () => {
  const sources = [join(ROOT, "main.ts")];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) await walk(path);
      else if (path.endsWith(".ts") && !path.endsWith("_test.ts")) sources.push(path);
    }
  };
  await walk(join(ROOT, "src"));
  const workers = (await workerModules(sources)).map((file) => relative(ROOT, file));
  assert.ok(workers.includes("src/arrow/_parquet_worker.ts") && workers.includes("src/_flight_worker.ts"));
  const task = denoJson.tasks.compile;
  const command = typeof task === "string" ? task : task.command;
  for (const target of command.split(" && ")) {
    const included = [...target.matchAll(/--include (\S+)/g)].map((m) => m[1]);
    assert.deepEqual(
      included.sort(),
      workers.sort(),
      `deno compile needs --include for each worker: ${target}`,
    );
  }
});

Deno.test("bundle: the launcher runs main.ts with exactly the start task's permissions, plus the data directory", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mosaicod-launcher-" });
  try {
    const template = await Deno.readTextFile(join(ROOT, "packaging", "mosaicod.in"));
    const permissions = taskPermissions(denoJson, "start");
    assert.deepEqual(permissions, START_PERMISSIONS);
    const script = renderLauncher(template, {
      version: "1.2.3",
      platform: "aarch64",
      denoVersion: "2.9.6",
      registry: "https://registry.npmjs.org/",
      permissions,
    });
    await Deno.writeTextFile(join(dir, "mosaicod"), script, { mode: 0o755 });
    await Deno.symlink(join(dir, "mosaicod"), join(dir, "link")); // an install links it onto PATH
    // `printf '%s\n'` in front of the Deno binary prints the command line the launcher would run.
    const launch = async (env: Record<string, string>, ...args: string[]) => {
      const out = await new Deno.Command(join(dir, "link"), {
        args,
        env: { MOSAICOD_EMULATOR: "printf %s\\n", ...env },
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).output();
      return {
        code: out.code,
        lines: decoder.decode(out.stdout).split("\n"),
        stderr: decoder.decode(out.stderr),
      };
    };
    const real = await Deno.realPath(dir);
    const { code, lines } = await launch({}, "server", "--port", "7000");
    assert.equal(code, 0);
    assert.deepEqual(lines.slice(0, -1), [
      `${real}/bin/deno`,
      "run",
      "--cached-only",
      "--config",
      `${real}/app/deno.json`,
      ...START_PERMISSIONS,
      `${real}/app/main.ts`,
      "server",
      "--port",
      "7000",
    ]);
    const widened = await launch(
      { MOSAICOD_DATA_DIR: "/var/lib/mosaicod", MOSAICOD_ALLOW_WRITE: "/srv/store,/srv/x y" },
      "server",
      "--data-dir",
      "rel/data",
      "--data-dir=/mnt/d",
    );
    assert.ok(
      widened.lines.includes("--allow-write=.,/var/lib/mosaicod,/srv/store,/srv/x y,rel/data,/mnt/d"),
    );
    const comma = await launch({}, "server", "--data-dir", "/a,b");
    assert.equal(comma.code, 2);
    assert.match(comma.stderr, /cannot grant write access to "\/a,b"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bundle: both tarballs build offline from a warm cache and run from a bare copy (aarch64 under qemu)", async (t) => {
  const work = await Deno.makeTempDir({ prefix: "mosaicod-bundle-test-" });
  try {
    const out = join(work, "dist");
    const names = ["x86_64", "aarch64"].map((p) => `mosaicod-${DAEMON_VERSION}-linux-${p}`);
    await t.step("deno task bundle --offline writes both tarballs", async () => {
      await bundleTask(["--fetch-only"], {}); // warms the caches (no-op when warm)
      const started = performance.now();
      const deadProxy = "http://127.0.0.1:9";
      await bundleTask(["--offline", "--out", out], {
        HTTP_PROXY: deadProxy,
        HTTPS_PROXY: deadProxy,
        ALL_PROXY: deadProxy,
      });
      console.error(`bundle test: offline build ${((performance.now() - started) / 1000).toFixed(1)} s`);
      for (const name of names) {
        const listing = decoder.decode(
          (await new Deno.Command("tar", { args: ["-tzf", join(out, `${name}.tar.gz`)], stdout: "piped" })
            .output())
            .stdout,
        ).split("\n");
        for (
          const file of [
            "mosaicod",
            "mosaicod.service",
            "BUNDLE.json",
            "bin/deno",
            "app/main.ts",
            "app/deno.lock",
          ]
        ) {
          assert.ok(listing.includes(`${name}/${file}`), `${name} holds ${file}`);
        }
        for (const worker of ["src/_flight_worker.ts", "src/arrow/_parquet_worker.ts"]) {
          assert.ok(listing.includes(`${name}/app/${worker}`), `${name} holds the worker ${worker}`);
        }
        const wasm = listing.filter((f) => f.endsWith(".wasm")).join("\n");
        assert.match(wasm, /\/parquet-wasm\/0\.8\.0\/.*\.wasm/);
        assert.match(wasm, /\/@electric-sql\/pglite\/0\.5\.16\/.*\.wasm/);
        assert.ok(
          !listing.some((f) => /_test\.ts$|\/deno_dir\/npm\/[^/]+\/(s3rver|hpack)\//.test(f)),
          "no tests, no test-only packages",
        );
      }
    });

    const x86 = join(work, "x86_64");
    const arm = join(work, "aarch64");
    await t.step("x86_64: runs natively from a copy of the tarball alone", async () => {
      const root = await unpack(join(out, `${names[0]}.tar.gz`), x86);
      assert.equal(await elfMachine(join(root, "bin", "deno")), 62);
      await smoke(root, x86, {}, 60_000);
      // A store outside what the launcher grants stops it with one line naming the launcher's setting.
      const elsewhere = join(x86, "elsewhere-store");
      const denied = await new Deno.Command(join(root, "mosaicod"), {
        args: ["server", "--store", elsewhere],
        cwd: await prepare(x86),
        clearEnv: true,
        env: bareEnv(x86),
        stdout: "piped",
        stderr: "piped",
      }).output();
      const said = decoder.decode(denied.stderr).trim();
      assert.notEqual(denied.code, 0);
      assert.equal(said.split("\n").length, 1, said);
      assert.ok(said.includes(`MOSAICOD_ALLOW_WRITE=${elsewhere}`), said);
    });

    await t.step("aarch64: runs under qemu-user from a copy of the tarball alone", async () => {
      const root = await unpack(join(out, `${names[1]}.tar.gz`), arm);
      assert.equal(await elfMachine(join(root, "bin", "deno")), 183);
      const emulator = await qemu();
      // Creating a new embedded catalog (PostgreSQL's initdb inside PGlite's WebAssembly) takes 3.5–7
      // minutes under qemu (2 s natively), so the x86_64 bundle creates it, natively, in the new data
      // directory: PGlite's files are the same on every CPU. Everything after that runs emulated.
      const migrated = await new Deno.Command(join(x86, names[0], "mosaicod"), {
        args: ["migrate", "--log-format", "json"],
        cwd: await prepare(arm),
        clearEnv: true,
        env: bareEnv(arm),
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(migrated.code, 0, decoder.decode(migrated.stderr));
      // Liftoff only: V8's optimising WebAssembly compiler is what qemu slows down most.
      await smoke(root, arm, { MOSAICOD_EMULATOR: emulator, DENO_V8_FLAGS: "--liftoff-only" }, 240_000);
    });
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});
