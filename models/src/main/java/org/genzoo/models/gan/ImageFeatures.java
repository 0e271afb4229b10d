package org.genzoo.models.gan;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.models.data.Dataset;
import org.genzoo.models.data.Datasets;
import org.genzoo.models.data.FashionMnist;
import org.genzoo.models.data.NpmMnist;
import org.genzoo.models.eval.FeatureClassifier;
import org.genzoo.models.eval.FrechetDistance;
import org.genzoo.models.eval.PrecisionRecall;

/**
 * Sample quality of generated images in the feature space of the project's own classifier
 * ({@link FeatureClassifier}, trained once per data set and cached): the Fréchet distance
 * ("fd_features", not comparable with Inception FID), precision and recall (k = 3) against the
 * held-out split, and the classifier's accuracy on that split ("classifier_accuracy"). Only for the labelled image sets mnist and fashion-mnist; others get nothing.
 */
public final class ImageFeatures {
    private ImageFeatures() {
    }

    /** The data set's base name from a split name ("fashion-mnist/test" gives "fashion-mnist"). */
    static String base(String splitName) {
        int slash = splitName.indexOf('/');
        return slash < 0 ? splitName : splitName.substring(0, slash);
    }

    public static boolean supports(Dataset split) {
        return split.hasLabels() && supportsDataset(base(split.name()));
    }

    /** True for the data sets (canonical names) whose evaluation uses the feature classifier: the labelled image sets. */
    public static boolean supportsDataset(String name) {
        return name.equals(NpmMnist.NAME) || name.equals(FashionMnist.NAME);
    }

    /** The classifier for the split's data set (trained on its training split and cached on first use). */
    public static FeatureClassifier classifier(Device device, Dataset split) {
        String b = base(split.name());
        try {
            Dataset train = Datasets.load(b, null).train();
            return FeatureClassifier.cached(device, b, train, 10, Datasets.dataCacheDir());
        } catch (IOException e) {
            throw new UncheckedIOException("feature classifier for " + b + ": " + e.getMessage(), e);
        }
    }

    /** fd_features, precision and recall of n samples (n x D, host) against the first n rows of split. */
    public static Map<String, Double> evaluate(Device device, Dataset split, float[] samples, int n, long seed) {
        Map<String, Double> m = new LinkedHashMap<>();
        if (!supports(split)) {
            return m;
        }
        int k = Math.min(n, split.size());
        int d = split.dim();
        try (FeatureClassifier fc = classifier(device, split)) {
            double[] real = fc.features(java.util.Arrays.copyOf(split.x(), k * d), k, d);
            double[] fake = fc.features(samples, k, d);
            m.put("fd_features", FrechetDistance.between(real, k, fake, k, FeatureClassifier.FEATURES));
            PrecisionRecall.Result pr = PrecisionRecall.of(real, k, fake, k, FeatureClassifier.FEATURES);
            m.put("precision", pr.precision());
            m.put("recall", pr.recall());
            // The feature space's own quality: the classifier's accuracy on the held-out split.
            m.put("classifier_accuracy", fc.accuracy(split));
        }
        return m;
    }
}
