package org.genzoo.models.eval;

import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.OnDevice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Eval tests: the default device plus the synthetic prototype data of {@link EvalFixtures}. */
abstract class OnEvalData extends OnDevice {
    protected static Tensor data;

    @BeforeAll
    static void openData() {
        data = EvalFixtures.data(dev);
    }

    @AfterAll
    static void closeData() {
        if (data != null) {
            data.close();
            data = null;
        }
    }
}
