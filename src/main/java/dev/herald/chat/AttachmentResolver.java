package dev.herald.chat;

import dev.herald.auth.Credential;

import java.util.List;

/** Turns attachment file ids into the file references stored on a message, refusing files the caller may not use. */
@FunctionalInterface
public interface AttachmentResolver {
    List<?> resolve(Credential caller, List<String> fileIds);
}
