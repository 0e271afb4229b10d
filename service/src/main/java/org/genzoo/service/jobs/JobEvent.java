package org.genzoo.service.jobs;

import java.util.Map;

/**
 * What a job reports while it runs, fanned out to server-sent-event subscribers.
 *
 * @param type "progress" (step, total, loss, examples/s, ETA), "eval" (metrics), "state" (new state, error), "log" (a line)
 * @param data the fields of the event, JSON-serializable
 */
public record JobEvent(String jobId, String type, Map<String, Object> data) {
}
