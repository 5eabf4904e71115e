package io.protorpc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.RpcException;
import io.protorpc.StatusCode;
import io.protorpc.examples.recommend.Article;
import io.protorpc.examples.recommend.ArticleResponse;
import io.protorpc.examples.recommend.RecommendRpc;
import io.protorpc.examples.recommend.UserRequest;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RecommendTest {
  private static UserRequest request(long user, int articles) {
    return UserRequest.newBuilder().setUserId(user).setArticleNum(articles)
        .setTimeStamp(1_700_000_000_000L).build();
  }

  @ParameterizedTest
  @ValueSource(strings = {"length", "delimiter"})
  void recommendsDistinctArticlesMostViewedFirst(String framing) throws Exception {
    try (Loopback loopback = Loopback.connect(framing)) {
      RecommendRpc.BlockingStub recommend = RecommendRpc.newBlockingStub(loopback.client);
      for (int n : new int[] {0, 1, 20, RecommendService.MAX_ARTICLES}) {
        ArticleResponse r = recommend.userRecommend(request(7, n));
        assertEquals(n, r.getExposure());
        assertEquals(n, r.getArticlesCount());
        assertEquals(1_700_000_000_000L, r.getTimeStamp(), "the request's time stamp");
        Set<Long> ids = new HashSet<>();
        long previousViews = Long.MAX_VALUE;
        for (Article a : r.getArticlesList()) {
          assertTrue(a.getArticleId() > 0);
          assertTrue(ids.add(a.getArticleId()), "article " + a.getArticleId() + " twice");
          long views = a.getArticleInfo().getViews();
          long shares = a.getArticleInfo().getShare();
          assertTrue(views >= 0 && shares >= 0 && shares <= views, a.toString());
          assertTrue(views <= previousViews, "most viewed first");
          previousViews = views;
        }
      }
      // A realistic payload: a thousand nested articles are tens of kilobytes on the wire.
      int size = recommend.userRecommend(
          request(7, RecommendService.MAX_ARTICLES)).getSerializedSize();
      assertTrue(size > 10_000, size + " bytes");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"length", "delimiter"})
  void theSameRequestGetsTheSameAnswerAndOtherUsersOthers(String framing) throws Exception {
    try (Loopback loopback = Loopback.connect(framing)) {
      RecommendRpc.BlockingStub recommend = RecommendRpc.newBlockingStub(loopback.client);
      List<Article> first = recommend.userRecommend(request(7, 50))
          .getArticlesList();
      assertEquals(first, recommend.userRecommend(request(7, 50))
          .getArticlesList());
      assertTrue(!first.equals(recommend.userRecommend(request(8, 50))
          .getArticlesList()), "user 8 got user 7's articles");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"length", "delimiter"})
  void tooManyOrNegativeArticlesAreInvalidArgument(String framing) throws Exception {
    try (Loopback loopback = Loopback.connect(framing)) {
      RecommendRpc.BlockingStub recommend = RecommendRpc.newBlockingStub(loopback.client);
      for (int n : new int[] {RecommendService.MAX_ARTICLES + 1, 1_000_000, -1}) {
        RpcException e = assertThrows(RpcException.class,
            () -> recommend.userRecommend(request(7, n)));
        assertEquals(StatusCode.INVALID_ARGUMENT, e.code());
        assertTrue(e.status().message()
            .contains("article_num must be between 0 and 1000, got " + n), e::getMessage);
      }
      // the connection is fine afterwards
      assertEquals(3, recommend.userRecommend(request(7, 3))
          .getExposure());
    }
  }
}
