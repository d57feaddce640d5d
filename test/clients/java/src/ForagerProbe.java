import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.camunda.client.CamundaClient;
import io.camunda.client.api.command.ClientHttpException;
import io.camunda.client.api.command.ClientStatusException;
import io.camunda.client.api.command.ProblemException;
import io.camunda.client.api.response.ActivatedJob;
import io.camunda.client.api.response.BrokerInfo;
import io.camunda.client.api.response.DeploymentEvent;
import io.camunda.client.api.response.PartitionInfo;
import io.camunda.client.api.response.Process;
import io.camunda.client.api.response.ProcessInstanceEvent;
import io.camunda.client.api.response.ProcessInstanceResult;
import io.camunda.client.api.response.Topology;
import io.camunda.client.api.search.response.Incident;
import io.camunda.client.api.worker.JobWorker;
import io.camunda.zeebe.model.bpmn.Bpmn;
import io.camunda.zeebe.model.bpmn.BpmnModelInstance;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Drives forager's engine through Camunda's official Java client ({@code io.camunda:camunda-client-java}), the
 * way a Java user would, and prints one JSON line per step on stdout for the test to assert on.
 *
 * <pre>
 *   java -cp &lt;client jars&gt;:target/classes ForagerProbe --grpc http://127.0.0.1:26500 \
 *        --rest http://127.0.0.1:8080 [scenario ...]      (no scenario: all of them, in order)
 * </pre>
 *
 * Every line is {@code {"scenario": name, "step": name, ...facts}}. A scenario ends with a step {@code end}
 * carrying {@code ok} (and {@code error} when it threw). A rejected command prints its gRPC status as the client
 * reports it: {@code {"step": ..., "rejected": true, "code": "NOT_FOUND", "message": ...}}.
 *
 * When a scenario needs something only the engine's operator knows (an incident key, which the Java client
 * would look up through REST search; the engine's current time), it prints {@code {"step": "ask", "question":
 * ...}} and reads one JSON line from stdin as the answer.
 *
 * Adding a scenario: write a method {@code void name() throws Exception}, register it in {@link #scenarios()}.
 * Process ids, job types and message names carry the scenario's name so that records can be told apart.
 */
public final class ForagerProbe {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final BufferedReader STDIN =
      new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
  /** Wall-time limit for anything the probe waits for (a worker finishing its jobs). */
  private static final long WAIT_SECONDS = 20;

  private final CamundaClient client;
  private String scenario = "";
  /** When the current scenario started (System.nanoTime()); each line carries the ms since then as "at". */
  private long scenarioStarted = System.nanoTime();

  private ForagerProbe(CamundaClient client) {
    this.client = client;
  }

  @FunctionalInterface
  interface Scenario {
    void run() throws Exception;
  }

  private Map<String, Scenario> scenarios() {
    Map<String, Scenario> all = new LinkedHashMap<>();
    all.put("topology", this::topology);
    all.put("topologyRest", this::topologyRest);
    all.put("deploySingle", this::deploySingle);
    all.put("deployMany", this::deployMany);
    all.put("deployBroken", this::deployBroken);
    all.put("createInstance", this::createInstance);
    all.put("createWithResult", this::createWithResult);
    all.put("startInstructions", this::startInstructions);
    all.put("runtimeInstructions", this::runtimeInstructions);
    all.put("activateAndComplete", this::activateAndComplete);
    all.put("workerPolling", () -> worker(false));
    all.put("workerStreaming", () -> worker(true));
    all.put("workerFailures", this::workerFailures);
    all.put("fetchVariables", this::fetchVariables);
    all.put("withResultTimeout", this::withResultTimeout);
    all.put("failWithBackoff", this::failWithBackoff);
    all.put("incidentAndResolve", this::incidentAndResolve);
    all.put("throwErrorCaught", this::throwErrorCaught);
    all.put("updateTimeout", this::updateTimeout);
    all.put("setVariables", this::setVariables);
    all.put("publishMessage", this::publishMessage);
    all.put("broadcastSignal", this::broadcastSignal);
    all.put("cancelInstance", this::cancelInstance);
    all.put("notFound", this::notFound);
    all.put("gateways", this::gateways);
    all.put("timers", this::timers);
    all.put("signals", this::signals);
    all.put("subprocesses", this::subprocesses);
    all.put("multiInstance", this::multiInstance);
    all.put("moreGateways", this::moreGateways);
    all.put("messageBoundary", this::messageBoundary);
    all.put("decision", this::decision);
    all.put("restApi", this::restApi);
    all.put("resetClock", this::resetClock);
    return all;
  }

  public static void main(String[] args) throws Exception {
    String grpc = null;
    String rest = null;
    List<String> names = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--grpc" -> grpc = args[++i];
        case "--rest" -> rest = args[++i];
        default -> names.add(args[i]);
      }
    }
    if (grpc == null || rest == null) {
      System.err.println("usage: ForagerProbe --grpc http://host:port --rest http://host:port [scenario ...]");
      System.exit(2);
    }
    // No probe outlives the test that started it: when the parent process ends, so does the JVM.
    ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> Runtime.getRuntime().halt(3)));
    int failed = 0;
    try (CamundaClient client =
        CamundaClient.newClientBuilder()
            .grpcAddress(URI.create(grpc))
            .restAddress(URI.create(rest))
            .preferRestOverGrpc(false)
            .applyEnvironmentVariableOverrides(false)
            .defaultRequestTimeout(Duration.ofSeconds(10))
            .build()) {
      ForagerProbe probe = new ForagerProbe(client);
      Map<String, Scenario> all = probe.scenarios();
      if (names.isEmpty()) names.addAll(all.keySet());
      for (String name : names) {
        Scenario s = all.get(name);
        probe.scenario = name;
        if (s == null) {
          probe.emit("end", "ok", false, "error", "no scenario named '" + name + "'; known: " + all.keySet());
          failed++;
          continue;
        }
        long started = System.nanoTime();
        probe.scenarioStarted = started;
        try {
          s.run();
          probe.emit("end", "ok", true, "ms", (System.nanoTime() - started) / 1_000_000);
        } catch (Throwable e) {
          failed++;
          probe.emit("end", "ok", false, "ms", (System.nanoTime() - started) / 1_000_000, "error", describe(e));
        }
      }
    }
    System.out.flush();
    System.exit(failed == 0 ? 0 : 1);
  }

  /* ---------- output ---------- */

  /** Prints {"scenario", "step", k1: v1, ...} as one JSON line. */
  private void emit(String step, Object... keyValues) {
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("scenario", scenario);
    line.put("step", step);
    line.put("at", (System.nanoTime() - scenarioStarted) / 1_000_000);
    for (int i = 0; i + 1 < keyValues.length; i += 2) line.put(String.valueOf(keyValues[i]), keyValues[i + 1]);
    try {
      String text = JSON.writeValueAsString(line);
      synchronized (System.out) {
        System.out.println(text);
        System.out.flush();
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Asks the test for something only it knows; blocks for one JSON line on stdin. */
  private JsonNode ask(String question, Object... keyValues) throws Exception {
    Object[] all = new Object[keyValues.length + 2];
    all[0] = "question";
    all[1] = question;
    System.arraycopy(keyValues, 0, all, 2, keyValues.length);
    emit("ask", all);
    String answer = STDIN.readLine();
    if (answer == null) throw new IllegalStateException("stdin closed while asking '" + question + "'");
    return JSON.readTree(answer);
  }

  @FunctionalInterface
  interface Call {
    Object run() throws Exception;
  }

  /** Runs a command that is expected to be rejected and prints how the client reports the outcome. */
  private void expectRejection(String step, Call call) {
    try {
      Object result = call.run();
      emit(step, "rejected", false, "result", String.valueOf(result));
    } catch (ClientStatusException e) {
      emit(step, "rejected", true, "api", "grpc", "code", e.getStatusCode().name(),
          "message", e.getStatus().getDescription(), "exception", e.getClass().getName());
    } catch (ProblemException e) {
      emit(step, "rejected", true, "api", "rest", "status", e.code(), "title", e.details().getTitle(),
          "message", e.details().getDetail(), "exception", e.getClass().getName());
    } catch (ClientHttpException e) {
      emit(step, "rejected", true, "api", "rest", "status", e.code(), "message", e.getMessage(),
          "exception", e.getClass().getName());
    } catch (Exception e) {
      emit(step, "rejected", true, "api", "unknown", "message", describe(e), "exception", e.getClass().getName());
    }
  }

  private static String describe(Throwable e) {
    StringBuilder text = new StringBuilder(e.getClass().getName() + ": " + e.getMessage());
    for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
      text.append(" / caused by ").append(c.getClass().getName()).append(": ").append(c.getMessage());
    }
    return text.toString();
  }

  private static Map<String, Object> job(ActivatedJob j) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("key", String.valueOf(j.getKey()));
    m.put("type", j.getType());
    m.put("processInstanceKey", String.valueOf(j.getProcessInstanceKey()));
    m.put("bpmnProcessId", j.getBpmnProcessId());
    m.put("processDefinitionVersion", j.getProcessDefinitionVersion());
    m.put("processDefinitionKey", String.valueOf(j.getProcessDefinitionKey()));
    m.put("elementId", j.getElementId());
    m.put("elementInstanceKey", String.valueOf(j.getElementInstanceKey()));
    m.put("customHeaders", j.getCustomHeaders());
    m.put("worker", j.getWorker());
    m.put("retries", j.getRetries());
    m.put("deadline", j.getDeadline());
    m.put("variables", j.getVariablesAsMap());
    m.put("tenantId", j.getTenantId());
    m.put("kind", String.valueOf(j.getKind()));
    m.put("listenerEventType", String.valueOf(j.getListenerEventType()));
    m.put("userTask", j.getUserTask() == null ? null : String.valueOf(j.getUserTask()));
    return m;
  }

  private static Map<String, Object> process(Process p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("bpmnProcessId", p.getBpmnProcessId());
    m.put("version", p.getVersion());
    m.put("processDefinitionKey", String.valueOf(p.getProcessDefinitionKey()));
    m.put("resourceName", p.getResourceName());
    m.put("tenantId", p.getTenantId());
    return m;
  }

  private static Map<String, Object> instance(ProcessInstanceEvent e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("processInstanceKey", String.valueOf(e.getProcessInstanceKey()));
    m.put("processDefinitionKey", String.valueOf(e.getProcessDefinitionKey()));
    m.put("bpmnProcessId", e.getBpmnProcessId());
    m.put("version", e.getVersion());
    m.put("tenantId", e.getTenantId());
    return m;
  }

  /* ---------- helpers ---------- */

  private String id(String what) {
    return "java-" + scenario + (what.isEmpty() ? "" : "-" + what);
  }

  /** start → service task 'task' (job type `type`) → end. */
  private static BpmnModelInstance oneTask(String processId, String type) {
    return Bpmn.createExecutableProcess(processId)
        .startEvent("start")
        .serviceTask("task", t -> t.zeebeJobType(type))
        .endEvent("end")
        .done();
  }

  private DeploymentEvent deploy(BpmnModelInstance model, String resourceName) {
    return client.newDeployResourceCommand().addProcessModel(model, resourceName).send().join();
  }

  private ProcessInstanceEvent create(String processId, Map<String, Object> variables) {
    return client.newCreateInstanceCommand().bpmnProcessId(processId).latestVersion().variables(variables).send().join();
  }

  private List<ActivatedJob> activate(String type, int max, Duration requestTimeout) {
    return client
        .newActivateJobsCommand()
        .jobType(type)
        .maxJobsToActivate(max)
        .workerName("java-probe")
        .timeout(Duration.ofMinutes(5))
        .requestTimeout(requestTimeout)
        .send()
        .join()
        .getJobs();
  }

  private ActivatedJob activateOne(String type) {
    List<ActivatedJob> jobs = activate(type, 1, Duration.ofSeconds(5));
    if (jobs.size() != 1) throw new IllegalStateException("expected one job of type " + type + ", got " + jobs.size());
    return jobs.get(0);
  }

  /* ---------- scenarios ---------- */

  private void topology() {
    Topology t = client.newTopologyRequest().useGrpc().send().join();
    emit("topology", "api", "grpc", "topology", topologyFacts(t));
  }

  /** The same request over REST (GET /v2/topology). */
  private void topologyRest() {
    Topology t = client.newTopologyRequest().useRest().send().join();
    emit("topology", "api", "rest", "topology", topologyFacts(t));
  }

  private static Map<String, Object> topologyFacts(Topology t) {
    List<Map<String, Object>> brokers = new ArrayList<>();
    for (BrokerInfo b : t.getBrokers()) {
      List<Map<String, Object>> partitions = new ArrayList<>();
      for (PartitionInfo p : b.getPartitions()) {
        partitions.add(Map.of("partitionId", p.getPartitionId(), "role", String.valueOf(p.getRole()),
            "leader", p.isLeader(), "health", String.valueOf(p.getHealth())));
      }
      Map<String, Object> broker = new LinkedHashMap<>();
      broker.put("nodeId", b.getNodeId());
      broker.put("address", b.getAddress());
      broker.put("version", b.getVersion());
      broker.put("partitions", partitions);
      brokers.add(broker);
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("clusterSize", t.getClusterSize());
    m.put("partitionsCount", t.getPartitionsCount());
    m.put("replicationFactor", t.getReplicationFactor());
    m.put("gatewayVersion", t.getGatewayVersion());
    m.put("brokers", brokers);
    return m;
  }

  /** One model built with the client's own BPMN builder (which adds diagram interchange), deployed twice. */
  private void deploySingle() {
    BpmnModelInstance model = oneTask(id(""), id("work"));
    DeploymentEvent first = deploy(model, "single.bpmn");
    emit("deployed", "key", String.valueOf(first.getKey()), "tenantId", first.getTenantId(),
        "processes", first.getProcesses().stream().map(ForagerProbe::process).toList());
    DeploymentEvent again = deploy(model, "single.bpmn");
    emit("deployedAgain", "processes", again.getProcesses().stream().map(ForagerProbe::process).toList());
  }

  /** Two resources in one command: one from the builder, one as XML text. */
  private void deployMany() {
    String xml = Bpmn.convertToString(oneTask(id("b"), id("b-work")));
    DeploymentEvent event =
        client
            .newDeployResourceCommand()
            .addProcessModel(oneTask(id("a"), id("a-work")), "a.bpmn")
            .addResourceStringUtf8(xml, "b.bpmn")
            .send()
            .join();
    emit("deployed", "key", String.valueOf(event.getKey()),
        "processes", event.getProcesses().stream().map(ForagerProbe::process).toList());
  }

  private void deployBroken() {
    String broken = "<?xml version=\"1.0\"?><bpmn:definitions xmlns:bpmn=\"http://www.omg.org/spec/BPMN/20100524/MODEL\">"
        + "<bpmn:process id=\"" + id("") + "\" isExecutable=\"true\"><bpmn:startEvent id=\"start\">";
    expectRejection("brokenXml", () -> client.newDeployResourceCommand()
        .addResourceStringUtf8(broken, "broken.bpmn").send().join());
    // A good and a bad resource together: nothing is deployed.
    expectRejection("goodAndBad", () -> client.newDeployResourceCommand()
        .addProcessModel(oneTask(id("good"), id("good-work")), "good.bpmn")
        .addResourceStringUtf8(broken, "bad.bpmn").send().join());
    expectRejection("createFromRejected", () -> create(id("good"), Map.of()));
  }

  private void createInstance() {
    String pid = id("");
    DeploymentEvent v1 = deploy(oneTask(pid, id("v1")), "v1.bpmn");
    DeploymentEvent v2 = deploy(oneTask(pid, id("v2")), "v2.bpmn");
    emit("deployed", "v1", process(v1.getProcesses().get(0)), "v2", process(v2.getProcesses().get(0)));
    ProcessInstanceEvent latest = client.newCreateInstanceCommand().bpmnProcessId(pid).latestVersion()
        .variables(Map.of("via", "latest")).send().join();
    emit("latest", "instance", instance(latest));
    ProcessInstanceEvent byVersion = client.newCreateInstanceCommand().bpmnProcessId(pid).version(1)
        .variables(Map.of("via", "version")).send().join();
    emit("byVersion", "instance", instance(byVersion));
    ProcessInstanceEvent byKey = client.newCreateInstanceCommand()
        .processDefinitionKey(v2.getProcesses().get(0).getProcessDefinitionKey())
        .variables("{\"via\":\"key\"}").send().join();
    emit("byKey", "instance", instance(byKey));
    expectRejection("unknownProcess", () -> create(id("missing"), Map.of()));
    expectRejection("unknownVersion", () -> client.newCreateInstanceCommand().bpmnProcessId(pid).version(7).send().join());
    expectRejection("unknownKey", () -> client.newCreateInstanceCommand().processDefinitionKey(123456789L).send().join());
    expectRejection("variablesNotAnObject", () -> client.newCreateInstanceCommand().bpmnProcessId(pid).latestVersion()
        .variables("[1,2]").send().join());
    // Clean up: complete the three jobs so the instances end.
    for (ActivatedJob j : activate(id("v1"), 10, Duration.ofSeconds(2))) client.newCompleteCommand(j.getKey()).send().join();
    int v2Jobs = 0;
    while (v2Jobs < 2) {
      for (ActivatedJob j : activate(id("v2"), 10, Duration.ofSeconds(2))) {
        client.newCompleteCommand(j.getKey()).send().join();
        v2Jobs++;
      }
    }
    emit("cleanedUp");
  }

  private void createWithResult() throws Exception {
    String pid = id("");
    deploy(oneTask(pid, id("work")), "result.bpmn");
    var pending = client.newCreateInstanceCommand().bpmnProcessId(pid).latestVersion()
        .variables(Map.of("a", 1, "b", "two", "c", List.of(3)))
        .withResult()
        .fetchVariables("a", "done", "missing")
        .requestTimeout(Duration.ofSeconds(15))
        .send();
    ActivatedJob j = activateOne(id("work"));
    client.newCompleteCommand(j).variables(Map.of("done", true)).send().join();
    ProcessInstanceResult result = pending.get(15, TimeUnit.SECONDS);
    emit("result", "processInstanceKey", String.valueOf(result.getProcessInstanceKey()),
        "bpmnProcessId", result.getBpmnProcessId(), "version", result.getVersion(),
        "variables", result.getVariablesAsMap(), "jobInstanceKey", String.valueOf(j.getProcessInstanceKey()));
    // Without fetchVariables: all root variables.
    var all = client.newCreateInstanceCommand().bpmnProcessId(pid).latestVersion()
        .variables(Map.of("x", 1)).withResult().requestTimeout(Duration.ofSeconds(15)).send();
    client.newCompleteCommand(activateOne(id("work"))).variables(Map.of("y", 2)).send().join();
    emit("resultAll", "variables", all.get(15, TimeUnit.SECONDS).getVariablesAsMap());
  }

  /** startBeforeElement: the instance starts at the second task, the first one never runs. */
  private void startInstructions() {
    String pid = id("");
    BpmnModelInstance model = Bpmn.createExecutableProcess(pid)
        .startEvent("start")
        .serviceTask("first", t -> t.zeebeJobType(id("first")))
        .serviceTask("second", t -> t.zeebeJobType(id("second")))
        .endEvent("end")
        .done();
    deploy(model, "start-instructions.bpmn");
    ProcessInstanceEvent created;
    try {
      created = client.newCreateInstanceCommand().bpmnProcessId(pid).latestVersion()
          .startBeforeElement("second").variables(Map.of("skipped", true)).send().join();
    } catch (ClientStatusException e) {
      // Loud where not supported: the engine may refuse start instructions instead of running them.
      emit("refused", "code", e.getStatusCode().name(), "message", e.getStatus().getDescription());
      return;
    }
    ActivatedJob second = activateOne(id("second"));
    emit("started", "processInstanceKey", String.valueOf(created.getProcessInstanceKey()), "job", job(second),
        "firstJobs", activate(id("first"), 1, Duration.ofMillis(200)).size());
    client.newCompleteCommand(second).send().join();
    expectRejection("unknownElement", () -> client.newCreateInstanceCommand().bpmnProcessId(pid).latestVersion()
        .startBeforeElement("nope").send().join());
  }

  /**
   * terminateAfterElement (8.8's runtime instructions) and tags: a Zeebe 8.8 broker ends the instance once the
   * element completes and stores the tags; an engine that does not support them must refuse them, not drop them.
   */
  private void runtimeInstructions() {
    String pid = id("");
    BpmnModelInstance model = Bpmn.createExecutableProcess(pid)
        .startEvent("start")
        .serviceTask("first", t -> t.zeebeJobType(id("first")))
        .serviceTask("second", t -> t.zeebeJobType(id("second")))
        .endEvent("end")
        .done();
    deploy(model, "runtime-instructions.bpmn");
    try {
      ProcessInstanceEvent created = client.newCreateInstanceCommand().bpmnProcessId(pid).latestVersion()
          .terminateAfterElement("first").send().join();
      ActivatedJob first = activateOne(id("first"));
      client.newCompleteCommand(first).send().join();
      emit("terminateAfter", "accepted", true, "processInstanceKey", String.valueOf(created.getProcessInstanceKey()),
          "secondJobs", activate(id("second"), 1, Duration.ofMillis(300)).size());
      client.newCancelInstanceCommand(created.getProcessInstanceKey()).send().join();
    } catch (ClientStatusException e) {
      emit("terminateAfter", "accepted", false, "code", e.getStatusCode().name(), "message", e.getStatus().getDescription());
    }
  }

  private void activateAndComplete() {
    String pid = id("");
    BpmnModelInstance model = Bpmn.createExecutableProcess(pid)
        .startEvent("start")
        .serviceTask("task", t -> t.zeebeJobType(id("work")).zeebeJobRetries("5")
            .zeebeTaskHeader("currency", "EUR").zeebeTaskHeader("region", "eu"))
        .endEvent("end")
        .done();
    deploy(model, "activate.bpmn");
    ProcessInstanceEvent created = create(pid, Map.of("orderId", "J-1", "total", 12.5, "items", List.of("a", "b")));
    emit("created", "instance", instance(created));
    List<ActivatedJob> none = activate(id("nothing"), 5, Duration.ofMillis(200));
    emit("emptyPoll", "count", none.size());
    List<ActivatedJob> jobs = activate(id("work"), 5, Duration.ofSeconds(5));
    emit("activated", "jobs", jobs.stream().map(ForagerProbe::job).toList());
    ActivatedJob j = jobs.get(0);
    List<ActivatedJob> filtered = activate(id("work"), 5, Duration.ofMillis(100));
    emit("activatedAgain", "count", filtered.size());
    client.newCompleteCommand(j.getKey()).variables(Map.of("charged", true, "receipt", Map.of("id", 7))).send().join();
    emit("completed", "jobKey", String.valueOf(j.getKey()));
    expectRejection("completeAgain", () -> client.newCompleteCommand(j.getKey()).send().join());
  }

  /** The client's own JobWorker completing many jobs, polling or streaming. */
  private void worker(boolean streaming) throws Exception {
    String pid = id("");
    String type = id("work");
    int count = 40;
    deploy(oneTask(pid, type), "worker.bpmn");
    CountDownLatch done = new CountDownLatch(count);
    Set<Long> seen = ConcurrentHashMap.newKeySet();
    AtomicInteger duplicates = new AtomicInteger();
    try (JobWorker w = client.newWorker()
        .jobType(type)
        .handler((jobClient, j) -> {
          if (!seen.add(j.getKey())) duplicates.incrementAndGet();
          jobClient.newCompleteCommand(j.getKey()).variables(Map.of("handledBy", j.getWorker())).send().join();
          done.countDown();
        })
        .name("java-" + (streaming ? "streaming" : "polling"))
        .maxJobsActive(8)
        .timeout(Duration.ofMinutes(1))
        .streamEnabled(streaming)
        .open()) {
      List<String> instances = new ArrayList<>();
      for (int i = 0; i < count; i++) instances.add(String.valueOf(create(pid, Map.of("i", i)).getProcessInstanceKey()));
      boolean finished = done.await(WAIT_SECONDS, TimeUnit.SECONDS);
      emit("handled", "finished", finished, "handled", seen.size(), "duplicates", duplicates.get(),
          "instances", instances, "streaming", streaming, "open", w.isOpen());
    }
  }

  /**
   * The JobWorker's own failure handling: a handler that throws makes the client fail the job with retries - 1
   * and the exception's message; the next attempt completes it. Worker backoff 0 (the client's default
   * retryBackoff is 0 for auto-fail).
   */
  private void workerFailures() throws Exception {
    String pid = id("");
    String type = id("work");
    BpmnModelInstance model = Bpmn.createExecutableProcess(pid).startEvent("start")
        .serviceTask("task", t -> t.zeebeJobType(type).zeebeJobRetries("3")).endEvent("end").done();
    deploy(model, "worker-failures.bpmn");
    CountDownLatch completed = new CountDownLatch(1);
    List<Integer> retriesSeen = new ArrayList<>();
    try (JobWorker w = client.newWorker().jobType(type)
        .handler((jobClient, j) -> {
          synchronized (retriesSeen) {
            retriesSeen.add(j.getRetries());
          }
          if (j.getRetries() == 3) throw new IllegalStateException("first attempt fails");
          jobClient.newCompleteCommand(j).send().join();
          completed.countDown();
        })
        .open()) {
      ProcessInstanceEvent created = create(pid, Map.of());
      boolean done = completed.await(WAIT_SECONDS, TimeUnit.SECONDS);
      emit("handled", "finished", done, "retriesSeen", retriesSeen,
          "processInstanceKey", String.valueOf(created.getProcessInstanceKey()));
    }
  }

  /** ActivateJobs with fetchVariables: only the named variables come back. */
  private void fetchVariables() {
    String pid = id("");
    deploy(oneTask(pid, id("work")), "fetch.bpmn");
    create(pid, Map.of("a", 1, "b", 2, "c", 3));
    List<ActivatedJob> jobs = client.newActivateJobsCommand().jobType(id("work")).maxJobsToActivate(1)
        .workerName("java-probe").timeout(Duration.ofMinutes(1)).fetchVariables("a", "c", "missing")
        .requestTimeout(Duration.ofSeconds(5)).send().join().getJobs();
    emit("activated", "variables", jobs.isEmpty() ? null : jobs.get(0).getVariablesAsMap());
    for (ActivatedJob j : jobs) client.newCompleteCommand(j).send().join();
  }

  /** CreateProcessInstanceWithResult whose instance does not end in time: DEADLINE_EXCEEDED, the instance lives on. */
  private void withResultTimeout() {
    String pid = id("");
    deploy(oneTask(pid, id("work")), "result-timeout.bpmn");
    expectRejection("timedOut", () -> client.newCreateInstanceCommand().bpmnProcessId(pid).latestVersion()
        .withResult().requestTimeout(Duration.ofSeconds(1)).send().join());
    ActivatedJob j = activateOne(id("work"));
    emit("stillRunning", "processInstanceKey", String.valueOf(j.getProcessInstanceKey()));
    client.newCancelInstanceCommand(j.getProcessInstanceKey()).send().join();
  }

  private void failWithBackoff() throws Exception {
    String pid = id("");
    BpmnModelInstance model = Bpmn.createExecutableProcess(pid).startEvent("start")
        .serviceTask("task", t -> t.zeebeJobType(id("work")).zeebeJobRetries("3")).endEvent("end").done();
    deploy(model, "backoff.bpmn");
    ProcessInstanceEvent created = create(pid, Map.of());
    ActivatedJob j = activateOne(id("work"));
    emit("activated", "job", job(j));
    client.newFailCommand(j).retries(j.getRetries() - 1).retryBackoff(Duration.ofMinutes(1))
        .errorMessage("try later").variables(Map.of("attempt", 1)).send().join();
    emit("failed", "retries", j.getRetries() - 1);
    emit("duringBackoff", "count", activate(id("work"), 1, Duration.ofMillis(200)).size());
    long now = ask("engineTime").get("now").asLong();
    // Camunda's clock endpoint (REST PUT /v2/clock) through the client: one minute and a second later.
    client.newPinClockCommand().time(now + 61_000).send().join();
    emit("clockPinned", "at", now + 61_000);
    ActivatedJob again = activateOne(id("work"));
    emit("afterBackoff", "job", job(again));
    client.newCompleteCommand(again).send().join();
    emit("completed", "processInstanceKey", String.valueOf(created.getProcessInstanceKey()));
  }

  private void incidentAndResolve() throws Exception {
    String pid = id("");
    deploy(oneTask(pid, id("work")), "incident.bpmn");
    ProcessInstanceEvent created = create(pid, Map.of());
    ActivatedJob j = activateOne(id("work"));
    client.newFailCommand(j.getKey()).retries(0).errorMessage("card declined").send().join();
    emit("failed", "jobKey", String.valueOf(j.getKey()), "processInstanceKey", String.valueOf(created.getProcessInstanceKey()));
    emit("noJob", "count", activate(id("work"), 1, Duration.ofMillis(200)).size());
    expectRejection("completeFailedJob", () -> client.newCompleteCommand(j.getKey()).send().join());
    long incidentKey = ask("incidentKey", "processInstanceKey", String.valueOf(created.getProcessInstanceKey()))
        .get("incidentKey").asLong();
    expectRejection("resolveBeforeRetries", () -> client.newResolveIncidentCommand(incidentKey).send().join());
    client.newUpdateRetriesCommand(j.getKey()).retries(2).send().join();
    emit("retriesUpdated");
    expectRejection("updateRetriesZero", () -> client.newUpdateRetriesCommand(j.getKey()).retries(0).send().join());
    client.newResolveIncidentCommand(incidentKey).send().join();
    emit("resolved", "incidentKey", String.valueOf(incidentKey));
    expectRejection("resolveAgain", () -> client.newResolveIncidentCommand(incidentKey).send().join());
    ActivatedJob again = activateOne(id("work"));
    emit("reactivated", "job", job(again));
    client.newCompleteCommand(again).send().join();
    emit("completed");
  }

  private void throwErrorCaught() {
    String pid = id("");
    BpmnModelInstance model = Bpmn.createExecutableProcess(pid)
        .startEvent("start")
        .serviceTask("task", t -> t.zeebeJobType(id("work")))
        .boundaryEvent("caught", b -> b.error("PAYMENT_FAILED").zeebeOutputExpression("reason", "failureReason"))
        .serviceTask("handle", t -> t.zeebeJobType(id("handle")))
        .endEvent("handled")
        .moveToActivity("task")
        .endEvent("end")
        .done();
    deploy(model, "error.bpmn");
    ProcessInstanceEvent created = create(pid, Map.of("orderId", "E-1"));
    ActivatedJob j = activateOne(id("work"));
    client.newThrowErrorCommand(j).errorCode("PAYMENT_FAILED").errorMessage("card declined")
        .variables(Map.of("reason", "declined")).send().join();
    emit("thrown", "jobKey", String.valueOf(j.getKey()));
    expectRejection("completeThrownJob", () -> client.newCompleteCommand(j.getKey()).send().join());
    ActivatedJob handler = activateOne(id("handle"));
    emit("handler", "job", job(handler));
    client.newCompleteCommand(handler).send().join();
    // An error no boundary catches: incident, as a Zeebe broker raises it.
    ProcessInstanceEvent uncaught = create(pid, Map.of());
    ActivatedJob k = activateOne(id("work"));
    client.newThrowErrorCommand(k).errorCode("NOBODY_CATCHES").errorMessage("lost").send().join();
    emit("uncaught", "processInstanceKey", String.valueOf(uncaught.getProcessInstanceKey()),
        "caughtInstance", String.valueOf(created.getProcessInstanceKey()));
    client.newCancelInstanceCommand(uncaught.getProcessInstanceKey()).send().join();
  }

  private void updateTimeout() {
    String pid = id("");
    deploy(oneTask(pid, id("work")), "timeout.bpmn");
    create(pid, Map.of());
    ActivatedJob j = activateOne(id("work"));
    client.newUpdateTimeoutCommand(j).timeout(Duration.ofMinutes(30)).send().join();
    emit("updated", "jobKey", String.valueOf(j.getKey()), "deadline", j.getDeadline());
    expectRejection("unknownJob", () -> client.newUpdateTimeoutCommand(1L).timeout(Duration.ofMinutes(1)).send().join());
    client.newCompleteCommand(j).send().join();
  }

  private void setVariables() {
    String pid = id("");
    BpmnModelInstance model = Bpmn.createExecutableProcess(pid)
        .startEvent("start")
        .serviceTask("first", t -> t.zeebeJobType(id("first")))
        .serviceTask("second", t -> t.zeebeJobType(id("second")))
        .endEvent("end")
        .done();
    deploy(model, "variables.bpmn");
    ProcessInstanceEvent created = create(pid, Map.of("shared", "root"));
    ActivatedJob first = activateOne(id("first"));
    long local = client.newSetVariablesCommand(first.getElementInstanceKey())
        .variables(Map.of("onlyHere", 1, "shared", "task")).local(true).send().join().getKey();
    long propagated = client.newSetVariablesCommand(first.getElementInstanceKey())
        .variables(Map.of("everywhere", 2)).local(false).send().join().getKey();
    long onRoot = client.newSetVariablesCommand(created.getProcessInstanceKey())
        .variables("{\"fromRoot\": true}").send().join().getKey();
    emit("set", "localKey", String.valueOf(local), "propagatedKey", String.valueOf(propagated),
        "rootKey", String.valueOf(onRoot), "elementInstanceKey", String.valueOf(first.getElementInstanceKey()));
    expectRejection("unknownScope", () -> client.newSetVariablesCommand(42L).variables(Map.of("a", 1)).send().join());
    expectRejection("notAnObject", () -> client.newSetVariablesCommand(created.getProcessInstanceKey())
        .variables("[1]").send().join());
    client.newCompleteCommand(first).send().join();
    ActivatedJob second = activateOne(id("second"));
    emit("secondTask", "variables", second.getVariablesAsMap());
    client.newCompleteCommand(second).send().join();
  }

  private void publishMessage() {
    String pid = id("");
    BpmnModelInstance model = Bpmn.createExecutableProcess(pid)
        .startEvent("start")
        .intermediateCatchEvent("wait", e -> e.message(m -> m.name(id("paid")).zeebeCorrelationKeyExpression("orderId")))
        .serviceTask("ship", t -> t.zeebeJobType(id("ship")))
        .endEvent("end")
        .done();
    deploy(model, "message.bpmn");
    ProcessInstanceEvent created = create(pid, Map.of("orderId", "M-1"));
    emit("waiting", "processInstanceKey", String.valueOf(created.getProcessInstanceKey()),
        "jobsBefore", activate(id("ship"), 1, Duration.ofMillis(200)).size());
    long key = client.newPublishMessageCommand().messageName(id("paid")).correlationKey("M-1")
        .messageId("pay-M-1").timeToLive(Duration.ofMinutes(10)).variables(Map.of("amount", 30))
        .send().join().getMessageKey();
    emit("published", "messageKey", String.valueOf(key));
    expectRejection("duplicate", () -> client.newPublishMessageCommand().messageName(id("paid")).correlationKey("M-1")
        .messageId("pay-M-1").timeToLive(Duration.ofMinutes(10)).send().join());
    ActivatedJob ship = activateOne(id("ship"));
    emit("correlated", "job", job(ship));
    client.newCompleteCommand(ship).send().join();
    // Published before the instance waits: buffered for its TTL, correlated when the instance arrives.
    client.newPublishMessageCommand().messageName(id("paid")).correlationKey("M-2").timeToLive(Duration.ofMinutes(5))
        .variables(Map.of("amount", 40)).send().join();
    ProcessInstanceEvent late = create(pid, Map.of("orderId", "M-2"));
    ActivatedJob ship2 = activateOne(id("ship"));
    emit("buffered", "processInstanceKey", String.valueOf(late.getProcessInstanceKey()), "job", job(ship2));
    client.newCompleteCommand(ship2).send().join();
    // TTL 0 and no one waiting: not buffered, so the same message id can be used again.
    client.newPublishMessageCommand().messageName(id("nobody")).correlationKey("x").messageId("once")
        .timeToLive(Duration.ZERO).send().join();
    expectRejection("zeroTtlIdAgain", () -> client.newPublishMessageCommand().messageName(id("nobody"))
        .correlationKey("x").messageId("once").timeToLive(Duration.ZERO).send().join().getMessageKey());
  }

  private void broadcastSignal() {
    var response = client.newBroadcastSignalCommand().signalName(id("alarm")).variables(Map.of("level", 3)).send().join();
    emit("broadcast", "key", String.valueOf(response.getKey()), "tenantId", response.getTenantId());
  }

  private void cancelInstance() {
    String pid = id("");
    deploy(oneTask(pid, id("work")), "cancel.bpmn");
    ProcessInstanceEvent created = create(pid, Map.of());
    ActivatedJob j = activateOne(id("work"));
    client.newCancelInstanceCommand(created.getProcessInstanceKey()).send().join();
    emit("cancelled", "processInstanceKey", String.valueOf(created.getProcessInstanceKey()));
    expectRejection("cancelAgain", () -> client.newCancelInstanceCommand(created.getProcessInstanceKey()).send().join());
    expectRejection("completeJobOfCancelled", () -> client.newCompleteCommand(j.getKey()).send().join());
  }

  private void notFound() {
    long unknown = 2251799813685249L + 999_999L;
    expectRejection("completeJob", () -> client.newCompleteCommand(unknown).send().join());
    expectRejection("failJob", () -> client.newFailCommand(unknown).retries(1).send().join());
    expectRejection("throwError", () -> client.newThrowErrorCommand(unknown).errorCode("E").send().join());
    expectRejection("updateRetries", () -> client.newUpdateRetriesCommand(unknown).retries(3).send().join());
    expectRejection("cancelInstance", () -> client.newCancelInstanceCommand(unknown).send().join());
    expectRejection("resolveIncident", () -> client.newResolveIncidentCommand(unknown).send().join());
    expectRejection("createUnknownProcess", () -> create(id("nope"), Map.of()));
  }

  /** Exclusive and parallel gateways, a receive task and a terminate end event, as Java users model them. */
  private void gateways() {
    String pid = id("");
    BpmnModelInstance model = Bpmn.createExecutableProcess(pid)
        .startEvent("start")
        .exclusiveGateway("amount")
        .defaultFlow()
        .receiveTask("confirm")
        .message(m -> m.name(id("confirm")).zeebeCorrelationKeyExpression("orderId"))
        .endEvent("smallEnd", e -> e.terminate())
        .moveToNode("amount")
        .condition("big", "=total > 100")
        .serviceTask("review", t -> t.zeebeJobType(id("review")))
        .parallelGateway("fork")
        .serviceTask("left", t -> t.zeebeJobType(id("left")))
        .parallelGateway("join")
        .endEvent("bigEnd")
        .moveToNode("fork")
        .serviceTask("right", t -> t.zeebeJobType(id("right")))
        .connectTo("join")
        .done();
    deploy(model, "gateways.bpmn");
    ProcessInstanceEvent big = create(pid, Map.of("total", 500, "orderId", "G-1"));
    ActivatedJob review = activateOne(id("review"));
    client.newCompleteCommand(review).send().join();
    ActivatedJob left = activateOne(id("left"));
    ActivatedJob right = activateOne(id("right"));
    client.newCompleteCommand(left).send().join();
    client.newCompleteCommand(right).send().join();
    ProcessInstanceEvent small = create(pid, Map.of("total", 5, "orderId", "G-2"));
    client.newPublishMessageCommand().messageName(id("confirm")).correlationKey("G-2").send().join();
    emit("done", "big", String.valueOf(big.getProcessInstanceKey()), "small", String.valueOf(small.getProcessInstanceKey()));
  }

  /** Moves the engine clock `ms` forward through the client (REST PUT /v2/clock); the test tells the current time. */
  private long advanceClock(long ms) throws Exception {
    long now = ask("engineTime").get("now").asLong();
    client.newPinClockCommand().time(now + ms).send().join();
    return now + ms;
  }

  /** A timer catch event and an interrupting timer boundary, moved on by pinning the clock. */
  private void timers() throws Exception {
    String pid = id("");
    BpmnModelInstance model = Bpmn.createExecutableProcess(pid)
        .startEvent("start")
        .intermediateCatchEvent("wait", e -> e.timerWithDuration("PT10M"))
        .serviceTask("task", t -> t.zeebeJobType(id("work")))
        .boundaryEvent("late", b -> b.timerWithDuration("PT1H"))
        .serviceTask("escalate", t -> t.zeebeJobType(id("escalate")))
        .endEvent("escalated")
        .moveToActivity("task")
        .endEvent("end")
        .done();
    deploy(model, "timers.bpmn");
    ProcessInstanceEvent created = create(pid, Map.of());
    emit("waiting", "processInstanceKey", String.valueOf(created.getProcessInstanceKey()),
        "jobsBefore", activate(id("work"), 1, Duration.ofMillis(200)).size());
    advanceClock(10 * 60_000 + 1_000);
    ActivatedJob task = activateOne(id("work"));
    emit("afterTimer", "job", job(task));
    advanceClock(60 * 60_000 + 1_000);
    expectRejection("completeAfterBoundary", () -> client.newCompleteCommand(task).send().join());
    ActivatedJob escalate = activateOne(id("escalate"));
    emit("escalated", "job", job(escalate));
    client.newCompleteCommand(escalate).send().join();
  }

  /** A signal catch event released by BroadcastSignal (gRPC), with the signal's variables. */
  private void signals() {
    String pid = id("");
    BpmnModelInstance model = Bpmn.createExecutableProcess(pid)
        .startEvent("start")
        .intermediateCatchEvent("wait", e -> e.signal(id("go")))
        .serviceTask("task", t -> t.zeebeJobType(id("work")))
        .endEvent("end")
        .done();
    deploy(model, "signals.bpmn");
    ProcessInstanceEvent first = create(pid, Map.of("n", 1));
    ProcessInstanceEvent second = create(pid, Map.of("n", 2));
    emit("waiting", "jobsBefore", activate(id("work"), 2, Duration.ofMillis(200)).size());
    var signal = client.newBroadcastSignalCommand().signalName(id("go")).variables(Map.of("go", true)).send().join();
    List<ActivatedJob> jobs = new ArrayList<>();
    while (jobs.size() < 2) {
      List<ActivatedJob> got = activate(id("work"), 2, Duration.ofSeconds(5));
      if (got.isEmpty()) break;
      jobs.addAll(got);
    }
    emit("released", "signalKey", String.valueOf(signal.getKey()), "jobs", jobs.stream().map(ForagerProbe::job).toList(),
        "instances", List.of(String.valueOf(first.getProcessInstanceKey()), String.valueOf(second.getProcessInstanceKey())));
    for (ActivatedJob j : jobs) client.newCompleteCommand(j).send().join();
  }

  /** An embedded subprocess and a call activity (child deployed in the same command). */
  private void subprocesses() {
    String pid = id("");
    String child = id("child");
    BpmnModelInstance childModel = Bpmn.createExecutableProcess(child)
        .startEvent("childStart")
        .serviceTask("childTask", t -> t.zeebeJobType(id("child-work")))
        .endEvent("childEnd")
        .done();
    BpmnModelInstance parent = Bpmn.createExecutableProcess(pid)
        .startEvent("start")
        .subProcess("sub", sp -> sp.embeddedSubProcess()
            .startEvent("subStart")
            .serviceTask("inner", t -> t.zeebeJobType(id("inner")))
            .endEvent("subEnd"))
        .callActivity("call", c -> c.zeebeProcessId(child))
        .endEvent("end")
        .done();
    DeploymentEvent deployed = client.newDeployResourceCommand()
        .addProcessModel(childModel, "child.bpmn")
        .addProcessModel(parent, "parent.bpmn")
        .send().join();
    emit("deployed", "processes", deployed.getProcesses().stream().map(ForagerProbe::process).toList());
    ProcessInstanceEvent created = create(pid, Map.of("orderId", "S-1"));
    ActivatedJob inner = activateOne(id("inner"));
    emit("inner", "job", job(inner));
    client.newCompleteCommand(inner).variables(Map.of("innerDone", true)).send().join();
    ActivatedJob childJob = activateOne(id("child-work"));
    emit("child", "job", job(childJob));
    expectRejection("cancelChild", () -> client.newCancelInstanceCommand(childJob.getProcessInstanceKey()).send().join());
    client.newCompleteCommand(childJob).variables(Map.of("childResult", 42)).send().join();
    emit("done", "processInstanceKey", String.valueOf(created.getProcessInstanceKey()));
  }

  /** A parallel multi-instance service task over a collection, its results collected, worked by a JobWorker. */
  private void multiInstance() throws Exception {
    String pid = id("");
    BpmnModelInstance model = Bpmn.createExecutableProcess(pid)
        .startEvent("start")
        .serviceTask("each", t -> t.zeebeJobType(id("each"))
            .multiInstance(m -> m.parallel().zeebeInputCollectionExpression("items").zeebeInputElement("item")
                .zeebeOutputCollection("results").zeebeOutputElementExpression("doubled")))
        .serviceTask("after", t -> t.zeebeJobType(id("after")))
        .endEvent("end")
        .done();
    deploy(model, "multi.bpmn");
    CountDownLatch done = new CountDownLatch(3);
    List<Object> items = new ArrayList<>();
    try (JobWorker w = client.newWorker().jobType(id("each"))
        .handler((jobClient, j) -> {
          int item = ((Number) j.getVariable("item")).intValue();
          synchronized (items) {
            items.add(item);
          }
          jobClient.newCompleteCommand(j).variables(Map.of("doubled", item * 2)).send().join();
          done.countDown();
        })
        .fetchVariables("item", "loopCounter")
        .open()) {
      create(pid, Map.of("items", List.of(1, 2, 3)));
      emit("handled", "finished", done.await(WAIT_SECONDS, TimeUnit.SECONDS), "items", items);
    }
    ActivatedJob after = activateOne(id("after"));
    emit("after", "job", job(after));
    client.newCompleteCommand(after).send().join();
  }

  /** An inclusive gateway (two of three branches) and an event-based gateway (message wins over timer). */
  private void moreGateways() {
    String pid = id("inclusive");
    BpmnModelInstance inclusive = Bpmn.createExecutableProcess(pid)
        .startEvent("start")
        .inclusiveGateway("split")
        .condition("toA", "=a")
        .serviceTask("taskA", t -> t.zeebeJobType(id("a")))
        .inclusiveGateway("merge")
        .endEvent("end")
        .moveToNode("split")
        .condition("toB", "=b")
        .serviceTask("taskB", t -> t.zeebeJobType(id("b")))
        .connectTo("merge")
        .moveToNode("split")
        .condition("toC", "=c")
        .serviceTask("taskC", t -> t.zeebeJobType(id("c")))
        .connectTo("merge")
        .done();
    String eid = id("event");
    BpmnModelInstance eventBased = Bpmn.createExecutableProcess(eid)
        .startEvent("start")
        .eventBasedGateway("choose")
        .intermediateCatchEvent("paid", e -> e.message(m -> m.name(id("paid")).zeebeCorrelationKeyExpression("orderId")))
        .serviceTask("ship", t -> t.zeebeJobType(id("ship")))
        .endEvent("shipped")
        .moveToLastGateway()
        .intermediateCatchEvent("timeout", e -> e.timerWithDuration("P1D"))
        .endEvent("expired")
        .done();
    client.newDeployResourceCommand().addProcessModel(inclusive, "inclusive.bpmn")
        .addProcessModel(eventBased, "event.bpmn").send().join();
    ProcessInstanceEvent inc = create(pid, Map.of("a", true, "b", false, "c", true));
    List<String> taken = new ArrayList<>();
    for (String branch : List.of("a", "b", "c")) {
      List<ActivatedJob> jobs = activate(id(branch), 1, Duration.ofMillis(branch.equals("b") ? 200 : 5000));
      for (ActivatedJob j : jobs) {
        taken.add(branch);
        client.newCompleteCommand(j).send().join();
      }
    }
    emit("inclusive", "processInstanceKey", String.valueOf(inc.getProcessInstanceKey()), "taken", taken);
    ProcessInstanceEvent ev = create(eid, Map.of("orderId", "EB-1"));
    client.newPublishMessageCommand().messageName(id("paid")).correlationKey("EB-1").send().join();
    ActivatedJob ship = activateOne(id("ship"));
    client.newCompleteCommand(ship).send().join();
    emit("eventBased", "processInstanceKey", String.valueOf(ev.getProcessInstanceKey()));
  }

  /** An interrupting message boundary on a service task: the message ends the task and its job. */
  private void messageBoundary() {
    String pid = id("");
    BpmnModelInstance model = Bpmn.createExecutableProcess(pid)
        .startEvent("start")
        .serviceTask("task", t -> t.zeebeJobType(id("work")))
        .boundaryEvent("cancelled", b -> b.message(m -> m.name(id("cancel")).zeebeCorrelationKeyExpression("orderId")))
        .endEvent("cancelledEnd")
        .moveToActivity("task")
        .endEvent("end")
        .done();
    deploy(model, "boundary.bpmn");
    ProcessInstanceEvent created = create(pid, Map.of("orderId", "MB-1"));
    ActivatedJob j = activateOne(id("work"));
    client.newPublishMessageCommand().messageName(id("cancel")).correlationKey("MB-1").variables(Map.of("why", "customer")).send().join();
    expectRejection("completeInterrupted", () -> client.newCompleteCommand(j).send().join());
    emit("interrupted", "processInstanceKey", String.valueOf(created.getProcessInstanceKey()), "jobKey", String.valueOf(j.getKey()));
  }

  private static final String DISCOUNT_DMN = """
      <?xml version="1.0" encoding="UTF-8"?>
      <definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="java-discounts" name="Discounts" namespace="http://forager.test/java">
        <decision id="java-discount" name="Discount">
          <decisionTable id="table" hitPolicy="FIRST">
            <input id="in" label="Total"><inputExpression id="in-expr" typeRef="number"><text>total</text></inputExpression></input>
            <output id="out" name="discount" typeRef="number" />
            <rule id="big"><inputEntry id="big-in"><text>&gt;= 100</text></inputEntry><outputEntry id="big-out"><text>10</text></outputEntry></rule>
            <rule id="small"><inputEntry id="small-in"><text>-</text></inputEntry><outputEntry id="small-out"><text>0</text></outputEntry></rule>
          </decisionTable>
        </decision>
      </definitions>
      """;

  /** A DMN decision deployed with a BPMN business rule task that calls it; EvaluateDecision over gRPC. */
  private void decision() {
    String pid = id("");
    BpmnModelInstance model = Bpmn.createExecutableProcess(pid)
        .startEvent("start")
        .businessRuleTask("decide", b -> b.zeebeCalledDecisionId("java-discount").zeebeResultVariable("discount"))
        .serviceTask("apply", t -> t.zeebeJobType(id("apply")))
        .endEvent("end")
        .done();
    DeploymentEvent deployed = client.newDeployResourceCommand()
        .addResourceStringUtf8(DISCOUNT_DMN.strip(), "discounts.dmn")
        .addProcessModel(model, "decision.bpmn")
        .send().join();
    emit("deployed", "processes", deployed.getProcesses().size(), "decisions",
        deployed.getDecisions().stream().map(d -> Map.of("decisionId", d.getDmnDecisionId(), "version", d.getVersion(),
            "decisionRequirementsId", d.getDmnDecisionRequirementsId())).toList(),
        "decisionRequirements", deployed.getDecisionRequirements().size());
    var evaluated = client.newEvaluateDecisionCommand().decisionId("java-discount").variables(Map.of("total", 150)).send().join();
    emit("evaluated", "decisionId", evaluated.getDecisionId(), "output", evaluated.getDecisionOutput(),
        "failedDecisionId", evaluated.getFailedDecisionId());
    expectRejection("unknownDecision", () -> client.newEvaluateDecisionCommand().decisionId(id("nope")).send().join());
    create(pid, Map.of("total", 20));
    ActivatedJob apply = activateOne(id("apply"));
    emit("applied", "job", job(apply));
    client.newCompleteCommand(apply).send().join();
  }

  /**
   * The REST API v2 through the client (useRest()): status, create and search and get instances, incidents
   * searched and resolved, cancel, publish and correlate messages, broadcast a signal; an unknown instance
   * gets Camunda's problem document.
   */
  private void restApi() throws Exception {
    String pid = id("");
    deploy(oneTask(pid, id("work")), "rest.bpmn");
    client.newStatusRequest().send().join();
    emit("status", "ok", true);
    ProcessInstanceEvent created = client.newCreateInstanceCommand().useRest().bpmnProcessId(pid).latestVersion()
        .variables(Map.of("via", "rest")).send().join();
    emit("created", "instance", instance(created));
    var found = client.newProcessInstanceSearchRequest().filter(f -> f.processDefinitionId(pid)).send().join();
    emit("searched", "keys", found.items().stream().map(i -> String.valueOf(i.getProcessInstanceKey())).toList(),
        "states", found.items().stream().map(i -> String.valueOf(i.getState())).toList(),
        "total", found.page().totalItems());
    var got = client.newProcessInstanceGetRequest(created.getProcessInstanceKey()).send().join();
    emit("got", "processDefinitionId", got.getProcessDefinitionId(), "state", String.valueOf(got.getState()),
        "version", got.getProcessDefinitionVersion());
    ActivatedJob j = activateOne(id("work"));
    client.newFailCommand(j).retries(0).errorMessage("over rest").send().join();
    // The 8.9 client sends 8.9's filter objects ({"$eq": ...}) for incident keys, where the 8.8 API the engine
    // serves takes plain values: search without a filter and pick the instance's incidents here.
    List<Incident> incidents = client.newIncidentSearchRequest().send().join().items().stream()
        .filter(i -> i.getProcessInstanceKey() == created.getProcessInstanceKey()).toList();
    emit("incidents", "items", incidents.stream().map(i -> Map.of("incidentKey", String.valueOf(i.getIncidentKey()),
        "errorType", String.valueOf(i.getErrorType()), "errorMessage", String.valueOf(i.getErrorMessage()),
        "state", String.valueOf(i.getState()), "jobKey", String.valueOf(i.getJobKey()))).toList());
    client.newUpdateRetriesCommand(j).retries(1).send().join();
    client.newResolveIncidentCommand(incidents.get(0).getIncidentKey()).useRest().send().join();
    emit("resolved");
    client.newCancelInstanceCommand(created.getProcessInstanceKey()).useRest().send().join();
    emit("cancelled", "processInstanceKey", String.valueOf(created.getProcessInstanceKey()));
    expectRejection("cancelUnknown", () -> client.newCancelInstanceCommand(created.getProcessInstanceKey()).useRest().send().join());
    expectRejection("getUnknown", () -> client.newProcessInstanceGetRequest(42L).send().join());

    String mid = id("msg");
    BpmnModelInstance waiting = Bpmn.createExecutableProcess(mid)
        .startEvent("start")
        .intermediateCatchEvent("wait", e -> e.message(m -> m.name(id("ping")).zeebeCorrelationKeyExpression("key")))
        .intermediateCatchEvent("signal", e -> e.signal(id("sig")))
        .endEvent("end")
        .done();
    deploy(waiting, "rest-msg.bpmn");
    ProcessInstanceEvent w = create(mid, Map.of("key", "R-1"));
    var correlated = client.newCorrelateMessageCommand().messageName(id("ping")).correlationKey("R-1")
        .variables(Map.of("pinged", true)).send().join();
    emit("correlated", "processInstanceKey", String.valueOf(correlated.getProcessInstanceKey()),
        "messageKey", String.valueOf(correlated.getMessageKey()), "waiting", String.valueOf(w.getProcessInstanceKey()));
    expectRejection("correlateNobody", () -> client.newCorrelateMessageCommand().messageName(id("ping")).correlationKey("nobody").send().join());
    var published = client.newPublishMessageCommand().useRest().messageName(id("later")).correlationKey("x")
        .timeToLive(Duration.ofMinutes(1)).messageId("rest-1").send().join();
    emit("published", "messageKey", String.valueOf(published.getMessageKey()));
    var signal = client.newBroadcastSignalCommand().useRest().signalName(id("sig")).send().join();
    emit("signalled", "key", String.valueOf(signal.getKey()));
  }

  /** Camunda's clock reset (REST POST /v2/clock/reset) through the client. */
  private void resetClock() {
    client.newResetClockCommand().send().join();
    emit("reset");
  }
}
