/**
 * Contract tests of ModifyProcessInstance through the official `@camunda8/sdk` gRPC client: moving a token
 * past a stuck step, activating with variables, terminating the last element, and the rejections.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { bpmnXml, chain, endEvent, message, messageCatchEvent, serviceTask, startEvent } from '../helpers/bpmn.ts';
import { activate, activateOne, deploy, engineTest, eventsOf, instanceCompleted, rejectsWithCode, waitUntil, type Harness } from '../helpers/engine-harness.ts';

async function deployStuck(h: Harness) {
  const after = `after-${h.id}`;
  await deploy(
    h.zb,
    bpmnXml(`stuck-${h.id}`, [startEvent(), messageCatchEvent('wait', 'm'), serviceTask('after', after), endEvent(), ...chain('start', 'wait', 'after', 'end')], {
      roots: [message('m', `never-${h.id}`, '=id')],
    }),
  );
  const { processInstanceKey } = await h.zb.createProcessInstance({ bpmnProcessId: `stuck-${h.id}`, variables: { id: 'x' } });
  const waiting = eventsOf(h.engine, 'PROCESS_INSTANCE', 'ELEMENT_ACTIVATED').find((r) => r.value.elementId === 'wait' && r.value.processInstanceKey === processInstanceKey)!;
  return { after, processInstanceKey, waitingKey: waiting.key };
}

describe('ModifyProcessInstance', () => {
  engineTest('moves the token from a stuck catch event to the next task, with variables', async (h) => {
    const { after, processInstanceKey, waitingKey } = await deployStuck(h);
    await h.zb.modifyProcessInstance({
      processInstanceKey,
      activateInstructions: [{ elementId: 'after', ancestorElementInstanceKey: '-1', variableInstructions: [{ variables: { fixed: true }, scopeId: '' }] }],
      terminateInstructions: [{ elementInstanceKey: waitingKey }],
    });
    const job = await activateOne(h.zb, after);
    assert.equal(job.processInstanceKey, processInstanceKey);
    assert.deepEqual({ ...job.variables }, { id: 'x', fixed: true });
    await h.zb.completeJob({ jobKey: job.key, variables: {} });
    await waitUntil(() => instanceCompleted(h.engine, processInstanceKey));
    assert.equal(eventsOf(h.engine, 'MESSAGE_SUBSCRIPTION', 'DELETED').length, 1, 'the terminated catch event closed its subscription');
  });

  engineTest('terminating the last active element terminates the process instance', async (h) => {
    const { processInstanceKey, waitingKey } = await deployStuck(h);
    await h.zb.modifyProcessInstance({ processInstanceKey, terminateInstructions: [{ elementInstanceKey: waitingKey }] });
    await waitUntil(() => eventsOf(h.engine, 'PROCESS_INSTANCE', 'ELEMENT_TERMINATED').some((r) => r.key === processInstanceKey));
  });

  engineTest('bad instructions are refused as a whole: unknown instance 5, unknown element or instance 3', async (h) => {
    const { after, processInstanceKey, waitingKey } = await deployStuck(h);
    await rejectsWithCode(h.zb.modifyProcessInstance({ processInstanceKey: '2251799813999999', terminateInstructions: [{ elementInstanceKey: waitingKey }] }), 5);
    await rejectsWithCode(
      h.zb.modifyProcessInstance({
        processInstanceKey,
        activateInstructions: [{ elementId: 'after', ancestorElementInstanceKey: '-1', variableInstructions: [] }, { elementId: 'nope', ancestorElementInstanceKey: '-1', variableInstructions: [] }],
      }),
      3,
      /could not be found: 'nope'/,
    );
    await rejectsWithCode(h.zb.modifyProcessInstance({ processInstanceKey, terminateInstructions: [{ elementInstanceKey: '2251799813999998' }] }), 3, /terminate instructions/);
    assert.deepEqual(await activate(h.zb, after), [], 'nothing of the refused modification happened');
  });
});
