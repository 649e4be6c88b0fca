import type { PointwiseSample as Sample } from '@gavel/core';
import { createDockerSandbox, type DockerSandbox } from '@gavel/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limits, SUT, sandboxConfig } from './sandbox-fixtures.ts';

// The runner starts pytest lean (no site, the cyclic GC off until collection ends, doctest, pastebin,
// stepwise, setuponly, setupplan and faulthandler plugins off, no plugin autoload): what a
// reference test module may use still works in the sandbox — pytest's built-in fixtures (tmp_path,
// the legacy tmpdir, capsys, capfd, monkeypatch, caplog, recwarn), its own fixtures, parametrize,
// skip and xfail marks, and unittest-style test classes with setUp (which failed with the debugging
// plugin off: pytest's unittest support reads its `trace` option). Real Docker sandbox.

const TESTS = `import gc
import logging
import os
import unittest
import warnings

import pytest
from solution import add


def test_tmp_path(tmp_path):
    p = tmp_path / "x.txt"
    p.write_text("1")
    assert p.read_text() == "1"


def test_tmpdir(tmpdir):
    f = tmpdir.join("y.txt")
    f.write("2")
    assert f.read() == "2"


def test_capsys(capsys):
    print("hello")
    assert capsys.readouterr().out == "hello\\n"


def test_capfd(capfd):
    os.write(1, b"fd\\n")
    assert capfd.readouterr().out == "fd\\n"


def test_monkeypatch(monkeypatch, tmp_path):
    monkeypatch.setenv("GAVEL_FIXTURE_TEST", "1")
    monkeypatch.setattr(logging, "raiseExceptions", False)
    monkeypatch.chdir(tmp_path)
    assert os.environ["GAVEL_FIXTURE_TEST"] == "1" and not logging.raiseExceptions
    assert os.getcwd() == str(tmp_path)


def test_caplog(caplog):
    logging.getLogger("reference").warning("careful")
    assert "careful" in caplog.text


def test_recwarn(recwarn):
    warnings.warn("w", UserWarning)
    assert len(recwarn) == 1
    with pytest.warns(DeprecationWarning):
        warnings.warn("d", DeprecationWarning)


def test_gc_on_while_tests_run():
    assert gc.isenabled()


@pytest.fixture
def two():
    return 2


def test_own_fixture(two):
    assert add(two, two) == 4


@pytest.mark.parametrize(("a", "b", "c"), [(1, 2, 3), (2, 2, 4)])
def test_parametrize(a, b, c):
    assert add(a, b) == c


@pytest.mark.skip(reason="skipped on purpose")
def test_skipped():
    raise AssertionError


@pytest.mark.xfail(strict=True)
def test_xfail():
    assert add(1, 1) == 3


class TestAdd(unittest.TestCase):
    def setUp(self):
        self.n = 2

    def test_unittest(self):
        self.assertEqual(add(self.n, 1), 3)
        with self.assertRaises(TypeError):
            add(1, None)
`;

let sandbox: DockerSandbox;
beforeAll(async () => {
  sandbox = await createDockerSandbox(sandboxConfig({ GAVEL_SANDBOX_CONCURRENCY: '1' }));
});
afterAll(async () => {
  await sandbox?.close();
});

describe("pytest's fixtures and test styles in the sandbox", () => {
  it('every built-in fixture, mark and unittest class a reference test module may use works', async () => {
    const sample: Sample = {
      id: 'fixtures-1',
      kind: 'code',
      prompt: 'add two numbers',
      output: 'def add(a, b):\n    return a + b\n',
      tests: TESTS,
      expected_tests: 14,
      sut: SUT,
    };
    const facts = await sandbox.codeFacts(sample, limits(), AbortSignal.timeout(120_000));
    const failures = facts.tests?.cases?.filter((c) => c.outcome !== 'passed' && c.outcome !== 'skipped');
    expect(failures ?? facts).toEqual([]);
    // 14 cases: 12 functions (parametrize gives two) and the unittest method; the skipped one and the
    // expected failure are reported skipped.
    expect(facts.tests).toMatchObject({ total: 14, passed: 12, skipped: 2, failed: 0, errors: 0 });
  });
});
