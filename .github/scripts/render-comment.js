// Posts the render diff of a pull request as one marked comment. It runs in
// render-comment.yml (workflow_run), in the base repository's context with
// pull-requests: write, after "PR checks" ran the pull request's code. So
// nothing the pull request's run produced is trusted:
//  - the pull request is found from the triggering run itself (its head
//    repository, branch and head SHA) among the open pull requests; a number
//    or any other file in the artifact is never read;
//  - the comment text from the artifact is untrusted: it cannot ping users or
//    teams, cannot carry our marker, and is cut to GitHub's size limit.
'use strict';

const fs = require('fs');
const path = require('path');

const MARKER = '<!-- zot-registry render diff -->';
// GitHub refuses comment bodies over 65536 characters.
const MAX_BODY = 65536;
const TRUNCATED = '\n\n… (cut: the diff is longer than a comment may be; see the render-diff artifact)\n';

// sanitize makes untrusted text safe to post: no @-mentions (a zero-width
// space after the @ keeps the text readable but links and pings nobody),
// no marker of ours, at most MAX_BODY characters with the marker in front.
function sanitize(text) {
  let body = String(text).split(MARKER).join('');
  body = body.replace(/@(?=[A-Za-z0-9_-])/g, '@\u200b');
  const room = MAX_BODY - MARKER.length - 1;
  if (body.length > room) {
    body = body.slice(0, room - TRUNCATED.length) + TRUNCATED;
  }
  return MARKER + '\n' + body;
}

// findPullRequest returns the number of the one open pull request whose
// head is the triggering run's head (repository, branch and commit), or
// null. workflow_run.pull_requests is empty for forks, so the API is asked.
async function findPullRequest(github, context) {
  const run = context.payload.workflow_run;
  if (!run || run.event !== 'pull_request' || !run.head_repository || !run.head_sha) {
    return null;
  }
  const { owner, repo } = context.repo;
  const head = `${run.head_repository.owner.login}:${run.head_branch}`;
  const open = await github.paginate(github.rest.pulls.list, { owner, repo, state: 'open', head, per_page: 100 });
  const matches = open.filter((pr) =>
    pr.head && pr.head.sha === run.head_sha && pr.head.repo && pr.head.repo.full_name === run.head_repository.full_name);
  return matches.length === 1 ? matches[0].number : null;
}

// main posts or updates the marked comment on the run's pull request, with
// the text of <dir>/comment.md.
async function main({ github, context, core, dir }) {
  const number = await findPullRequest(github, context);
  if (number === null) {
    core.info('no open pull request has the head of this run; nothing to comment on');
    return null;
  }
  const body = sanitize(fs.readFileSync(path.join(dir, 'comment.md'), 'utf8'));
  const { owner, repo } = context.repo;
  const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number: number, per_page: 100 });
  const mine = comments.find((c) => c.body && c.body.startsWith(MARKER) && c.user && c.user.type === 'Bot');
  if (mine) {
    await github.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body });
  } else {
    await github.rest.issues.createComment({ owner, repo, issue_number: number, body });
  }
  core.info(`render diff posted on #${number}`);
  return number;
}

module.exports = { MARKER, MAX_BODY, sanitize, findPullRequest, main };
