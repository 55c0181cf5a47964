// Tests of render-comment.js under Node's own test runner:
//   node --test .github/scripts/
// (tests/workflows_test.go runs it with the unit tests.)
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');

const { MARKER, MAX_BODY, sanitize, main } = require('./render-comment.js');

// A pull request from a fork's branch.
function pr(number, owner, branch, sha) {
  return { number, head: { ref: branch, sha, repo: { full_name: `${owner}/zot-registry`, owner: { login: owner } } } };
}

// fakeGitHub answers the calls main makes, as the REST API would: the
// pulls.list `head` filter matches owner:branch.
function fakeGitHub(prs, comments = []) {
  const posted = [];
  const github = {
    rest: {
      pulls: { list: 'pulls.list' },
      issues: {
        listComments: 'issues.listComments',
        createComment: async (args) => { posted.push({ op: 'create', ...args }); },
        updateComment: async (args) => { posted.push({ op: 'update', ...args }); },
      },
    },
    paginate: async (endpoint, args) => {
      if (endpoint === 'pulls.list') {
        return prs.filter((p) => `${p.head.repo.owner.login}:${p.head.ref}` === args.head);
      }
      if (endpoint === 'issues.listComments') {
        return comments.filter((c) => c.issue === args.issue_number);
      }
      throw new Error(`unexpected call ${endpoint}`);
    },
  };
  return { github, posted };
}

function context(run) {
  return {
    repo: { owner: 'org', repo: 'zot-registry' },
    payload: {
      workflow_run: {
        event: 'pull_request', head_branch: 'feature', head_sha: 'c0ffee',
        head_repository: { full_name: 'fork/zot-registry', owner: { login: 'fork' } },
        ...run,
      },
    },
  };
}

const core = { info() {} };

// artifact writes what a pull request's run could upload, forged number included.
function artifact(comment, prNumber) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'render-diff-'));
  fs.writeFileSync(path.join(dir, 'comment.md'), comment);
  fs.writeFileSync(path.join(dir, 'pr-number'), String(prNumber));
  return dir;
}

test('a forged pull-request number in the artifact is ignored', async () => {
  const { github, posted } = fakeGitHub([pr(42, 'fork', 'feature', 'c0ffee'), pr(1, 'org', 'main-fix', 'beef')]);
  const number = await main({ github, context: context(), core, dir: artifact('diff', 1) });
  assert.equal(number, 42);
  assert.equal(posted.length, 1);
  assert.equal(posted[0].issue_number, 42, 'the comment goes to the run\'s own pull request');
  assert.ok(posted.every((p) => p.issue_number !== 1));
});

test('a run whose head matches no open pull request posts nothing', async () => {
  for (const prs of [
    [pr(42, 'fork', 'feature', 'other-sha')], // the branch moved on, or the run is not this PR's
    [pr(42, 'someone-else', 'feature', 'c0ffee')], // same branch name in another fork
    [],
  ]) {
    const { github, posted } = fakeGitHub(prs);
    assert.equal(await main({ github, context: context(), core, dir: artifact('diff', 42) }), null);
    assert.deepEqual(posted, []);
  }
});

test('only pull_request runs are commented on', async () => {
  const { github, posted } = fakeGitHub([pr(42, 'fork', 'feature', 'c0ffee')]);
  assert.equal(await main({ github, context: context({ event: 'push' }), core, dir: artifact('diff', 42) }), null);
  assert.deepEqual(posted, []);
});

test('the bot\'s own marked comment is updated, a user\'s look-alike is not', async () => {
  const comments = [
    { issue: 42, id: 7, body: `${MARKER}\nold`, user: { type: 'User' } },
    { issue: 42, id: 9, body: `${MARKER}\nold`, user: { type: 'Bot' } },
  ];
  const { github, posted } = fakeGitHub([pr(42, 'fork', 'feature', 'c0ffee')], comments);
  await main({ github, context: context(), core, dir: artifact('new diff', 42) });
  assert.equal(posted.length, 1);
  assert.equal(posted[0].op, 'update');
  assert.equal(posted[0].comment_id, 9);
  assert.equal(posted[0].body, `${MARKER}\nnew diff`);
});

test('untrusted text pings nobody, carries our marker only in front, fits a comment', () => {
  const body = sanitize(`hi @octocat and @org/admins, ${MARKER} again; mail a@b.c`);
  assert.ok(body.startsWith(MARKER + '\n'));
  assert.equal(body.split(MARKER).length, 2, 'exactly one marker');
  assert.doesNotMatch(body, /@[A-Za-z0-9_-]/, 'no @ directly before a name');
  assert.match(body, /@\u200boctocat/);
  assert.match(body, /@\u200borg\/admins/);

  const long = sanitize('x'.repeat(MAX_BODY * 2));
  assert.ok(long.length <= MAX_BODY, `length ${long.length}`);
  assert.match(long, /cut: the diff is longer/);
  assert.equal(sanitize('short').length, MARKER.length + 1 + 'short'.length);
});
