package org.genzoo.service.api;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** Raw HTTP/1.1 over a socket, for requests java.net.http will not send (a forged Host, a bad escape, a bad chunk). */
final class Raw {
    private Raw() {
    }

    /** Sends {@code request} (CRLF line ends added) to 127.0.0.1:port and returns the whole answer (connection closed). */
    static String exchange(int port, String request) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write(request.replace("\n", "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            in.transferTo(b);
            return b.toString(StandardCharsets.UTF_8);
        }
    }

    /** The status code of an HTTP answer. */
    static int status(String answer) {
        return Integer.parseInt(answer.substring(9, 12));
    }

    /** A socket from {@code local} (any 127.x.y.z works on Linux loopback) to 127.0.0.1:port. */
    static Socket from(String local, int port) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(InetAddress.getByName(local), 0));
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
        return s;
    }
}
