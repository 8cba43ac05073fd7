package dev.zerograd.kernels;

/**
 * The error function in double precision, |error| &lt; 3e-16 over the whole real line (checked against a
 * 50-digit reference in the tests), for ERF, GELU_ERF and GELU_ERF_GRAD in both dtypes.
 *
 * <p>Method: near-minimax polynomials (Chebyshev interpolation at 50 digits, then rounded to double):
 * <ul>
 *   <li>|x| &lt; 1: erf(x) = x P(x^2), P of degree 11 (relative error of P below 1e-17);</li>
 *   <li>1 &lt;= |x| &lt; 6: erf(x) = 1 - e^(-x^2) G(|x| - c), where G approximates the scaled complement
 *       erfc(x) e^(x^2) on [1, 2), [2, 3.5) and [3.5, 6) around each midpoint c. The complement is below
 *       0.16 there, so G's relative error and the rounding of x^2 inside e^(-x^2) reach erf only
 *       multiplied by it;</li>
 *   <li>|x| &gt;= 6: erfc(x) &lt; 2.2e-17, below half an ulp of 1, so erf(x) = sign(x).</li>
 * </ul>
 * erf is odd; NaN gives NaN.
 */
final class Erf {
    private Erf() {}

    // Coefficients, highest degree first.
    private static final double[] SMALL = {
        -7.795898827002142e-10, 1.3720064546777686e-08, -1.6208483801871705e-07, 1.6447424703317362e-06,
        -1.492473690741966e-05, 0.00012055294904839707, -0.0008548325975389692, 0.0052239776071164225,
        -0.02686617064323777, 0.11283791670945006, -0.37612638903183543, 1.1283791670955126,
    };
    private static final double C1 = 1.5;
    private static final double[] G1 = {
        -4.932844202000261e-08, 1.8038197652346406e-07, -5.946998373950516e-07, 2.061689065129881e-06,
        -6.975285854904505e-06, 2.286543658874603e-05, -7.265888759557882e-05, 0.00022330981211640024,
        -0.0006619300686179933, 0.0018861348854630824, -0.005145957547915988, 0.013377340952802835,
        -0.03293090529956347, 0.07615103985548055, -0.16362291773256007, 0.3215854164543175,
    };
    private static final double C2 = 2.75;
    private static final double[] G2 = {
        1.8069520510416326e-09, -8.01181001890603e-09, 3.105710607611476e-08, -1.3192706697647487e-07,
        5.520418140550562e-07, -2.247676321583971e-06, 8.940140785092413e-06, -3.469853951374473e-05,
        0.00013118180233874277, -0.0004821950932829294, 0.001719581885194874, -0.005934337896564839,
        0.019758592987324287, -0.06323763756064137, 0.1936620962790687,
    };
    private static final double C3 = 4.75;
    private static final double[] G3 = {
        -1.2397154955686125e-09, 7.185117567525625e-09, -3.5308951693218504e-08, 1.9859009944209772e-07,
        -1.1118029273174716e-06, 6.082510682228709e-06, -3.277569444797808e-05, 0.00017392778941474965,
        -0.000908098908675339, 0.004661326438113046, -0.023503448597910273, 0.11630270720874594,
    };

    /** erf(x). */
    static double erf(double x) {
        double ax = Math.abs(x);
        if (ax < 1.0) {
            return x * horner(SMALL, x * x);
        }
        if (!(ax < 6.0)) {
            return Double.isNaN(x) ? x : Math.copySign(1.0, x);
        }
        double g;
        if (ax < 2.0) {
            g = horner(G1, ax - C1);
        } else if (ax < 3.5) {
            g = horner(G2, ax - C2);
        } else {
            g = horner(G3, ax - C3);
        }
        return Math.copySign(1.0 - Math.exp(-ax * ax) * g, x);
    }

    private static double horner(double[] c, double u) {
        double r = c[0];
        for (int i = 1; i < c.length; i++) {
            r = r * u + c[i];
        }
        return r;
    }
}
