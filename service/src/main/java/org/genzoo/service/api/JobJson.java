package org.genzoo.service.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.genzoo.service.jobs.Job;

/** A job as the API writes it: the record's fields, the spec as an object, times as ISO-8601 strings. */
public final class JobJson {
    private JobJson() {
    }

    public static Map<String, Object> of(Job j, ObjectMapper mapper) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", j.id());
        m.put("name", j.name());
        m.put("family", j.family());
        m.put("state", j.state().name());
        m.put("priority", j.priority());
        m.put("attempt", j.attempt());
        m.put("worker", j.worker());
        m.put("step", j.step());
        m.put("totalSteps", j.totalSteps());
        m.put("error", j.error());
        m.put("cancelRequested", j.cancelRequested());
        m.put("submittedAt", time(j.submittedAt()));
        m.put("startedAt", time(j.startedAt()));
        m.put("finishedAt", time(j.finishedAt()));
        m.put("idempotencyKey", j.idempotencyKey());
        m.put("outputDir", j.outputDir());
        Object spec;
        try {
            spec = j.specJson() == null ? null : mapper.readTree(j.specJson());
        } catch (JsonProcessingException e) {
            spec = j.specJson();
        }
        m.put("spec", spec);
        return m;
    }

    private static String time(Instant t) {
        return t == null ? null : t.toString();
    }
}
